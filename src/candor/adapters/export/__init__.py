"""Exports and imports: reports (Markdown, DOCX, PDF), STIX 2.1 bundles and VERIS records."""
