"""The CSV files the service writes for a French spreadsheet, all alike.

`;` between cells (the list separator of a French Excel), CRLF line ends, and a UTF-8 byte
order mark first: without the mark, Excel opened by a double click reads the file as
Windows-1252 and garbles every accent.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

BYTE_ORDER_MARK = "\ufeff"


class SpreadsheetCsv:
    """Rows written one after the other; `text()` is the whole file, its mark first."""

    def __init__(self) -> None:
        self._buffer = io.StringIO(newline="")
        self._buffer.write(BYTE_ORDER_MARK)
        self._writer = csv.writer(self._buffer, delimiter=";", lineterminator="\r\n")

    def writerow(self, cells: Iterable[object]) -> None:
        self._writer.writerow(cells)

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        self._writer.writerows(rows)

    def text(self) -> str:
        return self._buffer.getvalue()

    def encoded(self) -> bytes:
        return self.text().encode("utf-8")
