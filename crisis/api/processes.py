"""The API in several processes (`crisis serve --workers N`): one service per process.

uvicorn starts each worker process by calling `worker_app`. A worker serves the API only: it
writes the deadline jobs to the shared store but does not run them, and sends nothing itself;
the parent process runs the scheduler and the dispatcher once for all of them (the dispatcher
finds the new deliveries within `idle_seconds`, as a separate `crisis worker` does).
"""

from __future__ import annotations

from fastapi import FastAPI

from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, bootstrap


def worker_app() -> FastAPI:
    service = bootstrap(scheduler_mode=SchedulerMode.WRITE_ONLY)
    return create_app(service)
