"""Files the app reads and writes for people: spreadsheets, CSV and JSON, in and out."""
