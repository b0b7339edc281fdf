"""Redraw docs/screenshots/indicateurs-page-N.png (the README's pictures of the indicators PDF)
from the seeded test year.

    PYTHONPATH=. .venv/bin/python scripts/indicators_screenshots.py

Needs `pdftoppm` (Debian: poppler-utils).
"""

from __future__ import annotations

import subprocess
import tempfile
from datetime import date
from pathlib import Path

from crisis.reporting.indicators_render import IndicatorsFormat, render_indicators
from crisis.reporting.indicators_service import indicators_view
from crisis.store.engine import make_engine
from crisis.store.migrate import upgrade
from tests.integration.indicators.seeded_year import seeded_year

TARGET = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PAGES = (1, 2, 3, 5)  # the summary, the two charts, the RETEX and the journal's integrity
SERVICE = "Préfecture de l'Essonne"


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/annee.sqlite3")
        upgrade(engine)
        with seeded_year(engine, Path(folder)) as year, year.service.bus.unit_of_work() as uow:
            pack = indicators_view(
                uow, first=date(2026, 1, 1), last=date(2026, 12, 31), now=year.service.clock.now()
            )
        engine.dispose()
        pdf = Path(folder) / "indicateurs.pdf"
        pdf.write_bytes(render_indicators(pack, IndicatorsFormat.PDF, service=SERVICE))
        for page in PAGES:
            name = str(TARGET / f"indicateurs-page-{page}")
            pages = ["-f", str(page), "-l", str(page)]
            command = ["pdftoppm", "-png", "-r", "60", *pages, "-singlefile", str(pdf), name]
            subprocess.run(command, check=True)  # noqa: S603


if __name__ == "__main__":
    main()
