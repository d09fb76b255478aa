"""Cases in and out as files: reading CSV/XLSX/JSON, their headers and status words, the import
(validate everything, then write once) and the export in the shape the import reads."""
