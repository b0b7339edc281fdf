"""The indicators pack's files as a quality manager hands them over: the CSV Excel reads, the
workbook that prints, the PDF with its running header and footer."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from crisis.reporting.indicators_model import Indicators
from crisis.reporting.indicators_render import IndicatorsFormat, render_indicators
from crisis.reporting.indicators_service import indicators_view
from tests.integration.indicators.seeded_year import seeded_year


@pytest.fixture
def pack(engine: Engine, tmp_path: Path) -> Iterator[Indicators]:
    with seeded_year(engine, tmp_path) as year, year.service.bus.unit_of_work() as uow:
        yield indicators_view(
            uow, first=date(2026, 1, 1), last=date(2026, 12, 31), now=year.service.clock.now()
        )


def test_the_csv_starts_with_the_byte_order_mark_like_the_other_csv_files(
    pack: Indicators,
) -> None:
    document = render_indicators(pack, IndicatorsFormat.CSV)
    assert document.startswith(codecs.BOM_UTF8)
    text = document.decode("utf-8-sig")
    assert not text.startswith("\ufeff")  # one mark, not two
    assert text.startswith("Exercice;Identifiant;Titre;Nature")
    assert "Crue de l'Orge" in text
