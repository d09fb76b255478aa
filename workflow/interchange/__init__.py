"""Cases in and out as files: reading CSV/XLSX/JSON (within caps), their headers and status
words, the import (validate everything, then write once), the export in the shape the import
reads, and the one formula-safe writer for every spreadsheet and CSV the app produces."""
