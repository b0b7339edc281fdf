"""The garbage collector of a long-running service process, set once it has started.

Measured with benchmarks/console_poll.py: during a 5,000-delivery fan-out, one console poll in
a hundred waited about 200 ms (p99 217–229 ms on SQLite). A full pass of Python's collector
walks every object of the heap (200,000 once the application is imported: 130 ms) and holds
the interpreter lock meanwhile, the API's loop included; with the default thresholds a fan-out
allocates enough to trigger several. What was built to start (modules, routes, templates,
catalogues) is never garbage: frozen, it is left out of every pass; and younger passes, made
rarer, each walk more, briefly. Frozen alone: p99 89 ms; with the thresholds too: 23 ms.
"""

from __future__ import annotations

import gc
from typing import Final

# Allocations between two passes of the youngest generation (Python's default: 700), then
# passes of each generation before one of the next (default: 10 and 10).
THRESHOLDS: Final = (20_000, 20, 20)


def settle_after_start() -> None:
    """Freeze what the process built to start and space the collector's passes out.

    For a process that is a service (`crisis serve`, an API worker): the interpreter's
    collector is the process's own, so this is called by those entry points, never by the
    service's code that several services share in one process.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
