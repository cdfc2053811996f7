"""CSV for spreadsheets, safe against formula injection; pure functions, no database.

RFC 4180: fields quoted when needed, doubled quotes, CRLF line ends. A cell that a spreadsheet would
read as a formula (starting with =, +, -, @, a tab or a carriage return) is prefixed with a single
quote, as OWASP recommends: a person named "=HYPERLINK(...)" shows as text, never runs. The file
starts with a UTF-8 byte order mark so that Excel, which otherwise assumes the local code page, shows
accented names right; other programs (LibreOffice, Google Sheets, Python's csv) ignore it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BYTE_ORDER_MARK = "\ufeff"


def safe_cell(value: object) -> str:
    """The value as text, neutralized if a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_text(*, header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole file: byte order mark, header, rows; every cell through `safe_cell`."""
    buffer = io.StringIO()
    buffer.write(BYTE_ORDER_MARK)
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
