"""bulletin-pdf: typeset Chinese bulletins (简报) into print-ready PDFs with WeasyPrint."""

__version__ = "0.1.0"
