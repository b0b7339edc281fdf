"""A worker killed in the middle of a 2,000-recipient Telegram fan-out, then restarted.

The worker is the real `python -m crisis worker` in a subprocess, on SQLite and PostgreSQL,
against the fake Telegram server running in this process. After a SIGKILL and a restart under
the same name, every chat gets the message, duplicates stay within the documented bound
(three batches per channel, per worker, per crash), the journal verifies, and each delivery has
exactly one acceptance in the journal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.clock import SystemClock
from crisis.delivery.config import load_delivery_config
from crisis.domain.commands import CodDecision, OpenCrisis, SendMessage
from crisis.domain.contact_commands import ImportContacts
from crisis.domain.vocabulary import Audience, CrisisKind
from crisis.settings import Settings
from crisis.store.tables import deliveries
from tests.conftest import REPO_ROOT
from tests.fakes.telegram import FakeTelegramServer
from tests.integration.delivery.conftest import CELL, OFFICER, accepted_in_journal

RECIPIENTS = 2000
BATCH_SIZE = 100
TOKEN = "424242:CRASH-test-token"
FIRST_CHAT = 500_000


@pytest.fixture
def telegram() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer(token=TOKEN) as server:
        yield server


def _channels_file(tmp_path: Path, telegram: FakeTelegramServer) -> Path:
    path = tmp_path / "canaux.yaml"
    # The lease is long on purpose: the rows of the killed worker must come back through
    # `release` when it restarts under the same name, not through an expired lease.
    path.write_text(
        f"""
production:
  telegram:
    token: ${{TELEGRAM_TOKEN}}
    base_url: {telegram.base_url}
    timeout_seconds: 5
    rate_per_second: 500
audiences:
  elus: [telegram_dm]
dispatcher:
  batch_size: {BATCH_SIZE}
  concurrency: 50
  lease_seconds: 600
  idle_seconds: 0.1
""",
        "utf-8",
    )
    return path


def _contacts_csv() -> bytes:
    lines = ["nom;categorie;email;mobile;telegram;commune"]
    lines.extend(f"Maire n° {i};elu;;;{FIRST_CHAT + i};Commune {i}" for i in range(RECIPIENTS))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _wait(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def _statuses(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
        ).all()
    return {status: int(count) for status, count in rows}


def test_worker_killed_mid_fanout_resumes_without_loss_and_bounded_duplicates(
    engine: Engine, database_url: str, telegram: FakeTelegramServer, tmp_path: Path
) -> None:
    channels_file = _channels_file(tmp_path, telegram)
    config = load_delivery_config(channels_file, environ={"TELEGRAM_TOKEN": TOKEN})
    assert config.dispatcher.batch_size == BATCH_SIZE
    service: Service = bootstrap(
        settings=Settings(data_dir=tmp_path, approval_audiences=[]),
        clock=SystemClock(),  # the worker runs on the real clock: rows must be due for it
        engine=engine,
        delivery=config,
        scheduler_mode=SchedulerMode.NONE,
    )
    # How fast this goes is measured by benchmarks/scale.py, not asserted on a busy machine.
    started = time.monotonic()
    service.bus.handle(ImportContacts(file_name="elus.csv", content=_contacts_csv()), actor=OFFICER)
    imported = time.monotonic() - started
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Rupture de digue",
            kind=CrisisKind.INONDATION,
            exercise=False,
            activation=CodDecision(decided_by="préfet", synergi_ref="SYN-91-7"),
        ),
        actor=OFFICER,
    )
    sent = service.bus.handle(
        SendMessage(
            crisis_id=crisis_id,
            texts=(("default", "Rupture de digue à Corbeil : évacuez les quais."),),
            audiences=(Audience.ELUS,),
            channels=("telegram_dm",),
        ),
        actor=CELL,
    )
    assert sent.deliveries == RECIPIENTS

    env = {
        **os.environ,
        "CRISIS_DATABASE_URL": database_url,
        "CRISIS_CHANNELS_FILE": str(channels_file),
        "CRISIS_DATA_DIR": str(tmp_path),
        "TELEGRAM_TOKEN": TOKEN,
        "PYTHONPATH": str(REPO_ROOT),
        "PTB_TIMEDELTA": "true",
    }
    command = [sys.executable, "-m", "crisis", "worker", "--name", "w1"]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    worker = start()
    try:
        _wait(lambda: telegram.message_count >= 500, timeout=30, what="500 messages")
        worker.send_signal(signal.SIGKILL)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.communicate(timeout=10)
    received_before_restart = telegram.message_count
    killed_at = time.monotonic()
    assert 500 <= received_before_restart <= 1000 + 3 * BATCH_SIZE
    before = _statuses(engine)
    assert before.get("accepted", 0) < RECIPIENTS  # the crash did interrupt the fan-out

    worker = start()
    try:
        _wait(
            lambda: _statuses(engine) == {"accepted": RECIPIENTS},
            timeout=45,
            what="every delivery accepted after the restart",
        )
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            _, stderr = worker.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            _, stderr = worker.communicate()
    assert TOKEN not in stderr.decode("utf-8", "replace")

    chats = Counter(m.chat_id for m in telegram.sent)
    assert set(chats) == {str(FIRST_CHAT + i) for i in range(RECIPIENTS)}
    duplicates = sum(chats.values()) - RECIPIENTS
    print(  # shown with -s: how long each phase took
        f"import {imported:.1f} s, kill at {received_before_restart} messages, "
        f"{time.monotonic() - killed_at:.1f} s to finish after the restart, "
        f"{duplicates} duplicates"
    )
    assert duplicates <= 3 * BATCH_SIZE, f"{duplicates} duplicates, bound {3 * BATCH_SIZE}"
    assert all(m.text.startswith("Rupture de digue") for m in telegram.sent)

    with service.bus.unit_of_work() as uow:
        assert uow.journal.verify(crisis_id).ok
        assert uow.journal.verify("system").ok
        accepted = Counter(
            a["delivery_id"] for a in accepted_in_journal(uow.journal.entries(crisis_id))
        )
        delivery_ids = {d.id for d in uow.outbox.deliveries_of(crisis_id=crisis_id)}
    assert set(accepted) == delivery_ids
    assert set(accepted.values()) == {1}
