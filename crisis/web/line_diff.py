"""The differences between two texts, line by line (difflib), as rows a page can show.

Unchanged lines far from any change are folded into one « N lignes identiques » row, so that
a long HTML variant changed in one place reads as that place.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import StrEnum


class Change(StrEnum):
    SAME = "same"
    REMOVED = "removed"
    ADDED = "added"
    FOLDED = "folded"  # unchanged lines left out; `text` is empty, `count` says how many


@dataclass(frozen=True, slots=True)
class DiffLine:
    change: Change
    text: str = ""
    before: int | None = None  # line number in the older text, from 1
    after: int | None = None  # line number in the newer text
    count: int = 0


@dataclass(frozen=True, slots=True)
class TextDiff:
    lines: tuple[DiffLine, ...]

    @property
    def removed(self) -> int:
        return sum(1 for line in self.lines if line.change is Change.REMOVED)

    @property
    def added(self) -> int:
        return sum(1 for line in self.lines if line.change is Change.ADDED)

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.added)


def _folded(count: int) -> list[DiffLine]:
    return [DiffLine(Change.FOLDED, count=count)] if count > 0 else []


def line_diff(before: str, after: str, *, context: int = 3) -> TextDiff:
    """Removed and added lines with `context` unchanged lines around each change."""
    old, new = before.splitlines(), after.splitlines()
    if old == new:
        return TextDiff(())
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    rows: list[DiffLine] = []
    shown_to = 0  # lines of the older text shown or folded so far
    for group in matcher.get_grouped_opcodes(context):
        rows += _folded(group[0][1] - shown_to)
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [
                    DiffLine(Change.SAME, old[i], before=i + 1, after=j + 1)
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            rows += [DiffLine(Change.REMOVED, old[i], before=i + 1) for i in range(i1, i2)]
            rows += [DiffLine(Change.ADDED, new[j], after=j + 1) for j in range(j1, j2)]
        shown_to = group[-1][2]
    rows += _folded(len(old) - shown_to)
    return TextDiff(tuple(rows))
