"""Prometheus metrics of one process (`/metrics`, or a port of their own for a worker).

Counters and histograms are observed where things happen (the dispatcher's outcomes, the
alerts raised, the HTTP requests); the outbox and the clocks are read from the store when
Prometheus scrapes, so every instance reports the same figures for them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from channels.dispatcher import DeliveryResult, Outcome
from crisis.clock import Clock
from crisis.domain.events import ClockBreached, ClockWarning, Event
from crisis.store.engine import READ_OPTIONS
from crisis.store.gauges_repository import GaugeRepository

log = logging.getLogger(__name__)

CLOCK_STATES = ("running", "met", "breached")
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
LATENESS_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 15, 30, 60, 300)


class StoreCollector(Collector):
    """Outbox depth and age, clocks by state, unfinished fan-outs: read from the store at
    each scrape."""

    def __init__(self, engine: Engine, clock: Clock, channels: Sequence[str]) -> None:
        self._engine = engine
        self._clock = clock
        self._channels = channels

    def collect(self) -> Iterator[GaugeMetricFamily]:
        due = GaugeMetricFamily(
            "crisis_outbox_due", "Diffusions dues maintenant, par canal.", labels=["channel"]
        )
        age = GaugeMetricFamily(
            "crisis_outbox_oldest_due_age_seconds",
            "Âge de la plus ancienne diffusion due, par canal (depuis sa mise en file).",
            labels=["channel"],
        )
        states = GaugeMetricFamily(
            "crisis_clocks", "Horloges des événements en cours, par état.", labels=["state"]
        )
        fanouts = GaugeMetricFamily(
            "crisis_fanouts_unfinished",
            "Envois à un grand public dont la mise en file se poursuit en arrière-plan.",
        )
        fanout_age = GaugeMetricFamily(
            "crisis_fanouts_oldest_age_seconds",
            "Âge du plus ancien envoi dont la mise en file n'est pas finie (0 s'il n'y en a pas).",
        )
        now = self._clock.now()
        try:
            with self._engine.connect().execution_options(**READ_OPTIONS) as connection:
                gauges = GaugeRepository(connection)
                backlog = gauges.outbox_backlog(now=now)
                clocks = gauges.clock_states()
                unfinished, oldest_fanout = gauges.unfinished_fanouts()
        except Exception:
            log.warning("métriques : base injoignable", exc_info=True)
            return
        found = {line.channel: line for line in backlog}
        for channel in sorted(set(self._channels) | set(found)):
            line = found.get(channel)
            oldest = line.oldest_queued_at if line else None
            due.add_metric([channel], line.due if line else 0)
            age.add_metric([channel], (now - oldest).total_seconds() if oldest else 0.0)
        for state in CLOCK_STATES:
            states.add_metric([state], clocks.get(state, 0))
        fanouts.add_metric([], unfinished)
        fanout_age.add_metric([], (now - oldest_fanout).total_seconds() if oldest_fanout else 0.0)
        yield due
        yield age
        yield states
        yield fanouts
        yield fanout_age


class Metrics:
    def __init__(self, engine: Engine, clock: Clock, channels: Sequence[str] = ()) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.deliveries = Counter(
            "crisis_deliveries",
            "Tentatives de diffusion, par canal et issue.",
            ["channel", "outcome"],
            registry=registry,
        )
        self.provider_latency = Histogram(
            "crisis_provider_latency_seconds",
            "Durée d'une tentative de diffusion auprès du fournisseur, par canal.",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.retries = Counter(
            "crisis_delivery_retries",
            "Tentatives à refaire, par canal.",
            ["channel"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "crisis_provider_rate_limited",
            "Réponses « trop de requêtes » (429, Retry-After) des fournisseurs, par canal.",
            ["channel"],
            registry=registry,
        )
        self.alert_lateness = Histogram(
            "crisis_alert_lateness_seconds",
            "Retard d'une alerte d'horloge (échéance → alerte levée).",
            ["kind"],
            buckets=LATENESS_BUCKETS,
            registry=registry,
        )
        self.scheduler_leader = Gauge(
            "crisis_scheduler_leader",
            "1 si ce processus est le meneur du planificateur, 0 sinon.",
            registry=registry,
        )
        self.scheduler_job_failures = Counter(
            "crisis_scheduler_job_failures",
            "Exécutions en échec des tâches planifiées, par tâche.",
            # Not « job »: Prometheus gives every scraped series its own `job` label and would
            # rename this one `exported_job`, out of reach of the alert rule.
            ["task"],
            registry=registry,
        )
        self.scheduler_jobs_failing = Gauge(
            "crisis_scheduler_jobs_failing",
            "Tâches planifiées en panne dans ce processus (alerte envoyée, /readyz à 503).",
            registry=registry,
        )
        self.deadline_sweep_heartbeat = Gauge(
            "crisis_deadline_sweep_last_success_timestamp_seconds",
            "Dernier contrôle des échéances réussi de ce processus (horodatage Unix ; 0 s'il "
            "n'est pas meneur ou n'a pas encore réussi).",
            registry=registry,
        )
        self.dispatcher_heartbeat = Gauge(
            "crisis_dispatcher_heartbeat_timestamp_seconds",
            "Dernier passage du répartiteur de ce processus, par canal (horodatage Unix).",
            ["channel"],
            registry=registry,
        )
        self.sms_receipts = Counter(
            "crisis_sms_receipts",
            "Accusés de remise reçus des opérateurs SMS, par liaison et sort : rapprochés "
            "(matched), en attente de leur envoi (waiting), en double (duplicate), inconnus "
            "abandonnés (unknown).",
            ["route", "kind"],
            registry=registry,
        )
        self.http_requests = Counter(
            "crisis_http_requests",
            "Requêtes HTTP, par route, méthode et statut.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.http_duration = Histogram(
            "crisis_http_request_duration_seconds",
            "Durée des requêtes HTTP, par route.",
            ["route"],
            registry=registry,
        )
        self.call_outcomes = Counter(
            "crisis_call_outcomes",
            "Appels téléphoniques par issue : accusé (touche 1), décliné (touche 2), message "
            "laissé, ou non décroché (occupé, sans réponse, refusé, en échec).",
            ["outcome"],
            registry=registry,
        )
        self.calls_in_progress = Gauge(
            "crisis_calls_in_progress",
            "Appels téléphoniques en cours dans ce processus.",
            registry=registry,
        )
        registry.register(StoreCollector(engine, clock, channels))
        self._heartbeats: dict[str, float] = {}

    def observe_results(self, results: Sequence[DeliveryResult]) -> None:
        for result in results:
            self.deliveries.labels(result.channel, result.outcome.value).inc()
            elapsed = (result.finished_at - result.started_at).total_seconds()
            self.provider_latency.labels(result.channel).observe(max(elapsed, 0.0))
            if result.person_outcome is not None:
                self.call_outcomes.labels(result.person_outcome).inc()
            elif result.channel == "voice" and result.outcome is not Outcome.ACCEPTED:
                self.call_outcomes.labels("not_answered").inc()
            if result.outcome is Outcome.RETRY:
                self.retries.labels(result.channel).inc()
                if result.retry_after is not None:
                    self.rate_limited.labels(result.channel).inc()

    def observe_receipts(self, route: str, counts: Mapping[str, int]) -> None:
        for kind, count in counts.items():
            if count:
                self.sms_receipts.labels(route, kind).inc(count)

    def heartbeat(self, channels: Sequence[str]) -> None:
        now = time.time()
        for channel in channels:
            self._heartbeats[channel] = now
            self.dispatcher_heartbeat.labels(channel).set(now)

    def heartbeat_ages(self) -> dict[str, float]:
        now = time.time()
        return {channel: now - beat for channel, beat in sorted(self._heartbeats.items())}

    def observe_events(self, events: Sequence[Event]) -> None:
        """After-commit hook: the lateness of each clock alert raised."""
        for event in events:
            if isinstance(event, ClockWarning | ClockBreached):
                kind = "breach" if isinstance(event, ClockBreached) else "warning"
                lateness = (event.raised_at - event.due_at).total_seconds()
                self.alert_lateness.labels(kind).observe(max(lateness, 0.0))

    def count_calls(self, in_progress: Callable[[], int]) -> None:
        """Where the calls in progress are counted (the voice channels of the service)."""
        self.calls_in_progress.set_function(in_progress)

    def set_leader(self, leader: bool) -> None:
        self.scheduler_leader.set(1 if leader else 0)
