"""The Grafana dashboard and the Prometheus alert rules name series the service exposes."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from sqlalchemy import Engine

from crisis.clock import SystemClock
from crisis.ops.metrics import Metrics
from tests.conftest import REPO_ROOT

SERIES = re.compile(r"\bcrisis_[a-z_]+")


def exposed_names(engine: Engine) -> set[str]:
    metrics = Metrics(engine, SystemClock(), ["sms"])
    names: set[str] = set()
    for family in metrics.registry.collect():
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    # Counters are exposed as NAME_total; histograms as NAME_bucket, _count, _sum.
    names.update(f"{n}_total" for n in list(names))
    names.update(f"{n}_{s}" for n in list(names) for s in ("bucket", "count", "sum"))
    return names


def test_alert_rules_cover_the_three_required_situations(engine: Engine) -> None:
    rules: dict[str, Any] = yaml.safe_load(
        (REPO_ROOT / "deploy" / "prometheus-alerts.yml").read_text("utf-8")
    )
    alerts = {r["alert"]: r["expr"] for g in rules["groups"] for r in g["rules"]}
    assert (
        "crisis_outbox_oldest_due_age_seconds" in alerts["DiffusionEnAttenteDepuisPlusDe5Minutes"]
    )
    assert "> 300" in alerts["DiffusionEnAttenteDepuisPlusDe5Minutes"]
    assert "> 60" in alerts["RepartiteurSilencieux"]
    assert "crisis_scheduler_leader" in alerts["AucunMeneurDuPlanificateur"]
    # The scheduler watching itself: failing jobs, and a sweep that stopped succeeding.
    assert "crisis_scheduler_jobs_failing" in alerts["ControleDesEcheancesEnPanne"]
    assert "crisis_scheduler_job_failures_total" in alerts["ControleDesEcheancesEnPanne"]
    assert (
        "crisis_deadline_sweep_last_success_timestamp_seconds"
        in alerts["ControleDesEcheancesEnRetard"]
    )
    names = exposed_names(engine)
    for expr in alerts.values():
        assert set(SERIES.findall(expr)) <= names, expr


def test_the_dashboard_queries_only_exposed_series(engine: Engine) -> None:
    dashboard = json.loads((REPO_ROOT / "deploy" / "grafana-dashboard.json").read_text("utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {name for expr in exprs for name in SERIES.findall(expr)}
    assert used <= exposed_names(engine)
    # Every series the issue names has a panel.
    for family in (
        "crisis_deliveries_total",
        "crisis_outbox_due",
        "crisis_outbox_oldest_due_age_seconds",
        "crisis_provider_latency_seconds_bucket",
        "crisis_delivery_retries_total",
        "crisis_provider_rate_limited_total",
        "crisis_clocks",
        "crisis_alert_lateness_seconds_bucket",
        "crisis_scheduler_leader",
        "crisis_dispatcher_heartbeat_timestamp_seconds",
        "crisis_http_requests_total",
    ):
        assert family in used, family


def test_no_series_has_a_label_prometheus_sets_itself(engine: Engine) -> None:
    """A label `job` or `instance` of ours would be renamed `exported_job` at the scrape, and
    an alert rule naming it would never fire (the scheduler's failures were counted by `job`)."""
    metrics = Metrics(engine, SystemClock(), ["sms"])
    metrics.scheduler_job_failures.labels("deadlines").inc()
    for family in metrics.registry.collect():
        for sample in family.samples:
            assert not {"job", "instance"} & set(sample.labels), (sample.name, sample.labels)
