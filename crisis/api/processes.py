"""The API in several processes (`crisis serve --workers N`): one service per process.

uvicorn starts each worker process by calling `worker_app`. A worker serves the API only: it
runs no scheduler (the leader learns of the deadlines it writes) and sends nothing itself;
the parent process runs the scheduler and the dispatcher once for all of them (the dispatcher
finds the new deliveries within `idle_seconds`, as a separate `crisis worker` does).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI

from crisis.api.access_log import ACCESS_LOGGER
from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, bootstrap
from crisis.ops.collector import settle_after_start
from crisis.ops.logs import configure_process_logging
from crisis.settings import load_settings


def worker_app() -> FastAPI:
    configure_process_logging(load_settings(), default_level="INFO")
    # The request lines come from our middleware, with their request id. uvicorn writes its own
    # whenever its access logger reaches a handler, and a worker process does not rerun the
    # parent's logging set-up that cut it off: without this, every request was logged twice.
    logging.getLogger(ACCESS_LOGGER).propagate = False
    service = bootstrap(scheduler_mode=SchedulerMode.NONE)
    application = create_app(service)
    settle_after_start()  # a worker process is a service's: its collector is its own
    return application
