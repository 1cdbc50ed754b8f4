"""Pure parsers of invoice sources (Peppol BIS 3.0 UBL, CSV, JSON) into Invoice values; no I/O.

InvoiceError
└── each carries `source`, `location` (line, column or element) and a message saying what to fix.
"""

from .csv_source import parse_csv
from .errors import InvoiceError
from .json_source import parse_json
from .model import KINDS, Invoice
from .ubl import parse_ubl

__all__ = ["KINDS", "Invoice", "InvoiceError", "parse_csv", "parse_json", "parse_ubl"]
