"""Two drills played at once in one process (a programmed one and « Jouer maintenant »), each
on a database of its own: both migrate and play (Alembic's proxies are shared by the process)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from crisis.bootstrap import bootstrap
from drills.model import bundled_scenarios, load_scenario
from drills.runner import DrillResult, DrillRunner

START = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_two_drills_migrate_and_play_at_the_same_time(tmp_path: Path) -> None:
    scenario = load_scenario(bundled_scenarios()["crue-seine"])
    results: dict[str, DrillResult] = {}
    errors: list[BaseException] = []

    def play(name: str) -> None:
        try:
            runner = DrillRunner(scenario, start=START, make_service=bootstrap)
            results[name] = runner.run(tmp_path / name)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=play, args=(name,)) for name in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(results) == ["a", "b", "c"]
    reports = {name: (tmp_path / name / "report.json").read_text("utf-8") for name in results}
    assert reports["a"] == reports["b"] == reports["c"]  # the same scenario, the same timings
