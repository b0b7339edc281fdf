"""What a long-running process sets up at start: its logging, its metrics port, its claim on
the SQLite database (so that `crisis restore` cannot pull it from under it), the libraries it
loads ahead of their first use."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path
from typing import IO

from prometheus_client import start_http_server
from sqlalchemy import Engine

from channels import measure
from channels.registry import import_channel_modules
from crisis.ops.logs import set_process_context
from crisis.ops.metrics import Metrics
from crisis.publishing.cap_schema import cap_schema
from crisis.settings import Settings

_held: list[IO[bytes]] = []


def start_long_running(
    settings: Settings, engine: Engine, metrics: Metrics, *, worker: str
) -> None:
    """After `configure_process_logging(…, default_level="INFO")`, called before the service
    is opened so that its first lines are formatted too."""
    set_process_context(worker=worker)
    hold_database(engine)
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    if settings.metrics_port is not None:
        start_http_server(settings.metrics_port, addr=settings.host, registry=metrics.registry)


def warm_up() -> None:
    """Load, ahead of their first use, what a command of the CLI does without: the first
    message of each channel or CAP alert would otherwise wait for them (0.1 to 0.3 s each)."""
    measure.warm_up()
    cap_schema()
    import_channel_modules()


def in_use_lock_path(engine: Engine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    path = Path(database)
    return path.with_name(path.name + ".in-use.lock")


def hold_database(engine: Engine) -> None:
    """A shared lock for the life of the process: a restore needs it exclusive."""
    path = in_use_lock_path(engine)
    if path is None:
        return
    handle = path.open("ab")
    fcntl.flock(handle, fcntl.LOCK_SH)
    _held.append(handle)
