"""Start-up of the `crisis` command: how long each invocation takes before it answers.

    .venv/bin/python benchmarks/cli_startup.py [--runs 10]

Runs the installed entry point (`.venv/bin/crisis`, the one a person types) in a fresh
process each time: `--version`, `--help`, every top-level command's `--help`, and
`crisis status` and `crisis list` on a demonstration database made in a temporary folder
(`crisis demo`). Prints, for each, the best and the median wall time and the median CPU time
(user + system) of the process. Goals on the development machine (2 cores): every `--help`
≤ 0.3 s, `crisis status` ≤ 0.6 s. Wall time includes waiting for a busy core: on a loaded
machine the CPU time is the steadier figure. No test times this: a benchmark, not a gate.
`python -X importtime -m crisis status ID` shows where the time of one command goes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crisis.cli.table import COMMANDS

GOALS = {"--help": 0.3, "status": 0.6}


def entry_point() -> str:
    installed = Path(sys.executable).with_name("crisis")
    return str(installed) if installed.exists() else "crisis"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """One run: its wall time and the CPU time of the child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own installed command
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(label: str, command: list[str], env: dict[str, str], runs: int) -> None:
    timed(command, env)  # the first run fills the page cache and the bytecode cache
    samples = [timed(command, env) for _ in range(runs)]
    walls, cpus = [w for w, _ in samples], [c for _, c in samples]
    goal = next((g for key, g in GOALS.items() if key in label.split()), None)
    verdict = ""
    if goal is not None:
        verdict = f"  objectif {goal:.1f} s : {'tenu' if min(walls) <= goal else 'NON TENU'}"
    print(
        f"{label:<32} meilleur {min(walls):.3f} s  médiane {statistics.median(walls):.3f} s"
        f"  CPU {statistics.median(cpus):.3f} s{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    crisis = entry_point()
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRISIS_")}
        env["CRISIS_DATA_DIR"] = folder
        made = subprocess.run(  # noqa: S603 - our own installed command
            [crisis, "demo", "--json"], env=env, capture_output=True, text=True, check=True
        )
        event_id = json.loads(made.stdout)["event_id"]
        measure("crisis --version", [crisis, "--version"], env, runs)
        measure("crisis --help", [crisis, "--help"], env, runs)
        for entry in COMMANDS:
            measure(f"crisis {entry.name} --help", [crisis, entry.name, "--help"], env, runs)
        measure("crisis status", [crisis, "status", event_id], env, runs)
        measure("crisis list", [crisis, "list"], env, runs)


if __name__ == "__main__":
    main()
