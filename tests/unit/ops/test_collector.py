"""The collector settled after a service process starts: what it built frozen, passes spaced.

In a subprocess: the collector is the interpreter's, and the tests' own must stay as it is."""

from __future__ import annotations

import json
import subprocess
import sys

from crisis.ops.collector import THRESHOLDS

SETTLE = """
import gc, json
import crisis.api.app
before = gc.get_freeze_count()
from crisis.ops.collector import settle_after_start
settle_after_start()
print(json.dumps({"before": before, "frozen": gc.get_freeze_count(),
                  "objects": len(gc.get_objects()), "thresholds": gc.get_threshold()}))
"""


def test_what_the_process_built_is_frozen_and_the_passes_spaced() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SETTLE], capture_output=True, text=True, timeout=120, check=True
    )
    settled = json.loads(result.stdout)
    assert settled["before"] == 0
    assert settled["frozen"] > 100_000  # the imported application, out of every pass
    assert settled["objects"] < settled["frozen"] // 10  # what a pass still walks
    assert tuple(settled["thresholds"]) == THRESHOLDS
