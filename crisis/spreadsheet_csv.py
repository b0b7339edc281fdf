"""The CSV files the service writes for a French spreadsheet, all alike.

`;` between cells (the list separator of a French Excel), CRLF line ends, and a UTF-8 byte
order mark first: without the mark, Excel opened by a double click reads the file as
Windows-1252 and garbles every accent. A cell a spreadsheet would evaluate (=, +, -, @, a tab
or a carriage return first; a plain number aside) is written inert, behind an apostrophe, as
OWASP recommends against CSV injection: an event titled `=HYPERLINK(…)` stays a title.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

BYTE_ORDER_MARK = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?[0-9]+([.,][0-9]+)?")  # « -12 », a Telegram group's id


def inert(value: object) -> object:
    """The cell as written: a text a spreadsheet would run as a formula gets an apostrophe."""
    formula = isinstance(value, str) and value.startswith(FORMULA_STARTS)
    if formula and not _PLAIN_NUMBER.fullmatch(str(value)):
        return "'" + str(value)
    return value


class SpreadsheetCsv:
    """Rows written one after the other; `text()` is the whole file, its mark first."""

    def __init__(self) -> None:
        self._buffer = io.StringIO(newline="")
        self._buffer.write(BYTE_ORDER_MARK)
        self._writer = csv.writer(self._buffer, delimiter=";", lineterminator="\r\n")

    def writerow(self, cells: Iterable[object]) -> None:
        self._writer.writerow([inert(cell) for cell in cells])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)

    def text(self) -> str:
        return self._buffer.getvalue()

    def encoded(self) -> bytes:
        return self.text().encode("utf-8")
