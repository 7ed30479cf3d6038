"""Factur-X e-invoices (R70-R72): one record per document, its CII XML, its PDF/A-3, checks."""
