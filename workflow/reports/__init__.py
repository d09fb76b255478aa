"""Reports for the DX HQ: the HQ report's figures as of a date and the workbook laying them out."""
