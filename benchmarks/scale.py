"""Scale benchmark: one message to N élus through the real service, in bounded memory.

    PYTHONPATH=. .venv/bin/python benchmarks/scale.py [--sizes 10000,100000]
        [--database postgresql|sqlite] [--reports 3]

For each size N: a fresh store (a PostgreSQL schema of its own by default) with N élus, each
with a Telegram chat; `crisis serve` in a subprocess (API, scheduler and dispatcher) whose
Telegram channel points at the fast provider fake (nginx when installed, else the Python
fake in its own process). Then, through the API:

- `POST /api/v1/crises/{id}/messages` to the élus on Telegram: the time to answer (past
  6,000 élus, the send writes its share and answers; the rest is written in the background);
- the drain: from that answer until the paged delivery board counts N accepted (the
  background writing included);
- `--reports` timing reports (`GET …/report?format=json`), each timed;
- the service's peak resident memory (parent and children), sampled every 0.2 s throughout.

With two sizes or more, the drain of the largest is compared with the drain of the
smallest scaled linearly (goal ≤ 1.05; the send answered in ≤ 1 s). Before the send, the
service's CPU time while it waits (`--idle-seconds`, 30 by default, after 5 s of settling) is
measured: goal ≤ 0.5 % of a core. The last line is `scale_peak_rss_mb=<the largest
peak, MB>`, or `drain_ratio=<ratio>` when two sizes were measured.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PTB_TIMEDELTA", "true")

from benchmarks.support import (
    NginxTelegramFake,
    ServiceProcess,
    TelegramFakeProcess,
    contacts_csv,
    fast_telegram_env,
    load_average,
    scratch_database,
    tree_cpu_seconds,
)


def prepare(url: str, folder: Path, size: int) -> tuple[str, str]:
    """The store with `size` élus, one user and one activated event: (token, crisis id)."""
    from crisis.bootstrap import bootstrap
    from crisis.delivery.config import DeliveryConfig
    from crisis.domain.commands import AddUser, CodDecision, OpenCrisis
    from crisis.domain.contact_commands import ImportContacts
    from crisis.domain.vocabulary import CrisisKind
    from crisis.services.context import SYSTEM_ACTOR, Actor
    from crisis.settings import Settings
    from crisis.store.engine import make_engine
    from crisis.store.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    service = bootstrap(
        settings=Settings(data_dir=folder, database_url=url),
        engine=engine,
        delivery=DeliveryConfig(),
    )
    officer = Actor(name="cadre", role="duty_officer", user_id="u-bench")
    try:
        service.bus.handle(
            ImportContacts(file_name="elus.csv", content=contacts_csv(size)), actor=officer
        )
        added = service.bus.handle(AddUser(name="cellule", role="comm_cell"), actor=SYSTEM_ACTOR)
        crisis_id: str = service.bus.handle(
            OpenCrisis(
                title="Crue de la Seine",
                kind=CrisisKind.INONDATION,
                exercise=False,
                activation=CodDecision(decided_by="préfet", synergi_ref="SYN-SCALE"),
            ),
            actor=officer,
        )
        return str(added["token"]), crisis_id
    finally:
        service.close()


@contextlib.contextmanager
def sampling(service: ServiceProcess) -> Iterator[None]:
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            service.sample()
            stop.wait(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def run(
    size: int, *, kind: str, base_url: str, reports: int, idle_seconds: float
) -> dict[str, Any]:
    with scratch_database(kind) as (url, folder):
        started = time.perf_counter()
        token, crisis_id = prepare(url, folder, size)
        print(f"  {size} élus imported in {time.perf_counter() - started:.1f} s", flush=True)
        env = fast_telegram_env(url, folder, base_url)
        headers = {"Authorization": f"Bearer {token}"}
        with ServiceProcess(env) as service, sampling(service):
            idle_rss = service.sample()
            time.sleep(5)  # the start-up's own work settles (first sweeps, pools)
            idle_cpu = tree_cpu_seconds(service.pid)
            time.sleep(idle_seconds)
            idle_share = (tree_cpu_seconds(service.pid) - idle_cpu) / idle_seconds
            http = httpx.Client(base_url=service.url, headers=headers, timeout=600)
            sent_at = time.perf_counter()
            answer = http.post(
                f"/api/v1/crises/{crisis_id}/messages",
                json={
                    "texts": {"default": "Crue de la Seine : évitez les berges."},
                    "audiences": ["elus"],
                    "channels": ["telegram_dm"],
                },
            )
            send_seconds = time.perf_counter() - sent_at
            assert answer.status_code == 201, answer.text
            body = answer.json()
            assert body["deliveries"] == size or not body["complete"], body
            answered_at = time.perf_counter()
            while True:
                board = http.get(body["board"], params={"limit": 1}).json()
                if board["totals"].get("accepted", 0) == size:
                    break
                time.sleep(0.5)
            drain_seconds = time.perf_counter() - answered_at
            report_seconds = []
            for _ in range(reports):
                asked = time.perf_counter()
                report = http.get(f"/api/v1/crises/{crisis_id}/report", params={"format": "json"})
                report_seconds.append(time.perf_counter() - asked)
                assert report.status_code == 200, report.text[:300]
            http.close()
            peak = service.peak_rss_kib
    figures = {
        "size": size,
        "answer_bytes": len(answer.content),
        "answered_with": body["deliveries"],
        "send": send_seconds,
        "drain": drain_seconds,
        "reports": report_seconds,
        "report_bytes": len(report.content),
        "idle_rss_mb": idle_rss / 1024,
        "idle_cpu": idle_share,
        "peak_rss_mb": peak / 1024,
    }
    print(
        f"{kind}, {size} deliveries: send answered in {send_seconds:.2f} s "
        f"({figures['answer_bytes']} bytes, {figures['answered_with']} written by then); "
        f"drained in {drain_seconds:.1f} s "
        f"({size / drain_seconds:.0f}/s); reports "
        + ", ".join(f"{s:.2f} s" for s in report_seconds)
        + f" ({figures['report_bytes'] // 1024} KiB); service RSS {figures['idle_rss_mb']:.0f} MB "
        f"idle, peak {figures['peak_rss_mb']:.0f} MB; idle before the send: "
        f"{idle_share * 100:.2f} % of a core (goal ≤ 0.5 %); send answered in "
        f"{send_seconds:.2f} s (goal ≤ 1 s)",
        flush=True,
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="comma-separated, e.g. 10000,100000")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--reports", type=int, default=3)
    parser.add_argument("--fake", choices=["nginx", "python"], default=None)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    use_nginx = args.fake == "nginx" or (args.fake is None and NginxTelegramFake.available())
    fake: Any = NginxTelegramFake() if use_nginx else TelegramFakeProcess()
    print(f"load average before: {load_average()} ({os.cpu_count()} CPUs)")
    print(f"provider fake: {'nginx (static answer)' if use_nginx else 'Python, own process'}")
    with fake:
        results = [
            run(
                size,
                kind=args.database,
                base_url=fake.base_url,
                reports=args.reports,
                idle_seconds=args.idle_seconds,
            )
            for size in sizes
        ]
    print(f"load average after: {load_average()}")
    if len(results) > 1:
        small, large = results[0], results[-1]
        ratio = large["drain"] / (small["drain"] * large["size"] / small["size"])
        print(
            f"drain of {large['size']} / ({large['size'] // small['size']} × drain of "
            f"{small['size']}) = {ratio:.2f} (goal ≤ 1.05)"
        )
        print(f"drain_ratio={ratio:.2f}")
    else:
        print(f"scale_peak_rss_mb={results[-1]['peak_rss_mb']:.0f}")


if __name__ == "__main__":
    main()
