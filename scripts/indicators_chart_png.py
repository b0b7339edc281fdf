"""Redraw docs/indicateurs-graphique.png (the README's picture) from the seeded test year.

    PYTHONPATH=. .venv/bin/python scripts/indicators_chart_png.py

Needs `pdftoppm` (Debian: poppler-utils).
"""

from __future__ import annotations

import subprocess
import tempfile
from datetime import date
from pathlib import Path

from weasyprint import HTML

from crisis.reporting.indicators_charts import delays_svg, quarters_svg
from crisis.reporting.indicators_service import indicators_view
from crisis.store.engine import make_engine
from crisis.store.migrate import upgrade
from tests.integration.indicators.seeded_year import seeded_year

TARGET = Path(__file__).resolve().parent.parent / "docs" / "indicateurs-graphique"
PAGE = """<html><head><meta charset="utf-8"><style>
@page {{ size: 21cm 33cm; margin: .6cm; }} body {{ font-family: "DejaVu Sans"; }}
h2 {{ font-size: 13pt; border-bottom: 2px solid #000091; }}</style></head><body>
<h2>Délai de chaque événement face à l'objectif d'une heure</h2>{delays}
<h2>Part des événements dans l'objectif, par trimestre</h2>{quarters}</body></html>"""


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/annee.sqlite3")
        upgrade(engine)
        with seeded_year(engine, Path(folder)) as year, year.service.bus.unit_of_work() as uow:
            pack = indicators_view(
                uow, first=date(2026, 1, 1), last=date(2026, 12, 31), now=year.service.clock.now()
            )
        engine.dispose()
        pdf = Path(folder) / "graphique.pdf"
        HTML(
            string=PAGE.format(delays=delays_svg(pack.events), quarters=quarters_svg(pack))
        ).write_pdf(pdf)
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf), str(TARGET)],  # noqa: S607
            check=True,
        )


if __name__ == "__main__":
    main()
