"""The formats a report is written in: named apart from the renderers, which are heavy to
import, so that the CLI can offer them in its options without loading them."""

from __future__ import annotations

from enum import StrEnum


class ReportFormat(StrEnum):
    """A timing report's formats (`crisis.reporting.render`)."""

    JSON = "json"
    HTML = "html"
    MD = "md"
    CSV = "csv"
    PDF = "pdf"


class IndicatorsFormat(StrEnum):
    """The Qual-e-Pref indicators' formats (`crisis.reporting.indicators_render`)."""

    JSON = "json"
    CSV = "csv"
    HTML = "html"
    PDF = "pdf"
    XLSX = "xlsx"
