"""Each figure of the timing report and of the pack cites the journal entry that holds it,
whatever the order entries were recorded in; deliveries and acceptances are counted on the same
basis; the numéro unique is published once a channel accepted it; a broken chain says nothing
but its exclusion."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from crisis.reporting.document import build_document
from crisis.reporting.indicators import build_indicators, event_row, make_period
from crisis.reporting.indicators_render import to_html
from crisis.reporting.report_models import TimingReport
from crisis.reporting.timing import build_report
from crisis.store.journal import ChainCheck, JournalEntry

DECIDED = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)
NOW = DECIDED + timedelta(hours=3)


def at(minutes: float) -> str:
    return (DECIDED + timedelta(minutes=minutes)).isoformat()


def journal(*items: tuple[str, dict[str, Any]], stream: str = "c") -> list[JournalEntry]:
    return [
        JournalEntry(stream, seq, DECIDED, "cellule", kind, payload, "0" * 64, f"{seq:064x}")
        for seq, (kind, payload) in enumerate(items, start=1)
    ]


def filler(count: int) -> list[tuple[str, dict[str, Any]]]:
    """Entries that hold no figure, to put the ones that do at realistic numbers."""
    return [("event.AlertRaised", {"subject": f"note {i}"}) for i in range(count)]


OPENED = (
    "event.CrisisOpened",
    {
        "title": "Crue de l'Yerres",
        "kind": "inondation",
        "exercise": False,
        "communes": ["Yerres"],
        "reported_at": at(0),
    },
)
ACTIVATED = ("event.CodActivated", {"decided_at": at(0), "decided_by": "préfet"})


def started(clock: str) -> tuple[str, dict[str, Any]]:
    return (
        "event.ClockStarted",
        {"clock": clock, "target_minutes": 60, "started_at": at(0), "deadline": at(60)},
    )


def met(clock: str, minutes: float, by: str) -> tuple[str, dict[str, Any]]:
    return ("event.ClockMet", {"clock": clock, "met_at": at(minutes), "met_by": by})


def report_of(entries: list[JournalEntry], *, ok: bool = True) -> TimingReport:
    check = ChainCheck("c", len(entries), ok, None if ok else 2, None if ok else "altérée")
    return build_report(crisis_id="c", entries=entries, chain=check, now=NOW)


def out_of_order() -> list[JournalEntry]:
    """The radio at 30 min is recorded (n° 32) before the SMS sent at 15 min (n° 35)."""
    return journal(
        OPENED,
        ACTIVATED,
        started("elus"),
        *filler(28),
        met("elus", 30, "diffusion d-radio (radio)"),  # n° 32
        *filler(2),
        met("elus", 15, "diffusion d-sms (SMS)"),  # n° 35
    )


def test_a_clock_cites_the_entry_holding_its_figure_not_the_first_recorded() -> None:
    entries = out_of_order()
    assert (entries[31].seq, entries[34].seq) == (32, 35)
    report = report_of(entries)
    (clock,) = report.clocks
    assert (clock.achieved_minutes, clock.met_by) == (15.0, "diffusion d-sms (SMS)")
    assert [s.seq for s in clock.sources] == [3, 35]
    assert clock.sources[1].hash == entries[34].hash
    verdict = next(v for v in report.verdicts if v.subject.startswith("information factuelle des"))
    assert verdict.detail == "atteint en 15 min pour 1 h (journal : n° 3, n° 35)"
    clocks = next(s for s in build_document(report).sections if s.title == "Horloges")
    assert clocks.table is not None
    assert clocks.table.headers[-1] == "Journal"
    assert clocks.table.rows[0][-1] == "n° 3, n° 35"
    # The pack: the same figure, the same entry, the channel of that entry.
    figure = event_row("c", entries, ChainCheck("c", len(entries), True), NOW).clocks["elus"]
    assert (figure.delay_minutes, figure.channel) == (15.0, "SMS")
    assert [(s.seq, s.kind) for s in figure.sources] == [
        (3, "event.ClockStarted"),
        (35, "event.ClockMet"),
    ]


def test_a_breached_clock_cites_its_breach_and_the_late_meeting() -> None:
    entries = journal(
        OPENED,
        ACTIVATED,
        started("media"),
        ("event.ClockBreached", {"clock": "media", "raised_at": at(60)}),
        met("media", 80, "diffusion d-1 (email)"),
    )
    (clock,) = report_of(entries).clocks
    assert clock.state == "met_late"
    assert [s.kind for s in clock.sources] == [
        "event.ClockStarted",
        "event.ClockBreached",
        "event.ClockMet",
    ]


def accepted(*ids: str, after_seconds: float = 5) -> list[dict[str, Any]]:
    return [
        {
            "delivery_id": i,
            "queued_at": at(1),
            "accepted_at": (DECIDED + timedelta(minutes=1, seconds=after_seconds)).isoformat(),
            "provider_message_id": f"p-{i}",
            "attempts": 1,
        }
        for i in ids
    ]


def sent(message_id: str, deliveries: dict[str, int]) -> tuple[str, dict[str, Any]]:
    return (
        "event.MessageSent",
        {"message_id": message_id, "audiences": ["elus"], "deliveries": deliveries},
    )


def failed(delivery_id: str, channel: str, fallback: str | None) -> tuple[str, dict[str, Any]]:
    return (
        "event.DeliveryFailed",
        {
            "delivery_id": delivery_id,
            "message_id": "m1",
            "channel": channel,
            "audience": "elus",
            "reason": "injoignable",
            "attempts": 5,
            "refused": False,
            "fallback_delivery_id": fallback,
        },
    )


def batch(channel: str, ids: list[str], **extra: Any) -> tuple[str, dict[str, Any]]:
    payload = {"message_id": "m1", "channel": channel, "audience": "elus"}
    return ("event.DeliveriesAccepted", payload | {"deliveries": accepted(*ids)} | extra)


def channel_counts(entries: list[JournalEntry]) -> dict[str, tuple[int, int, int, int]]:
    (message,) = report_of(entries).messages
    return {c.channel: (c.deliveries, c.fallbacks, c.accepted, c.failed) for c in message.channels}


def test_a_fallback_is_a_delivery_of_its_own() -> None:
    # One élu by Telegram (fails: SMS fallback d3), one by SMS (d2): two SMS accepted.
    entries = journal(
        OPENED,
        sent("m1", {"telegram_dm": 1, "sms": 1}),
        failed("d1", "telegram_dm", "d3"),
        batch("sms", ["d2", "d3"], fallbacks=["d3"]),
    )
    assert channel_counts(entries) == {"sms": (2, 1, 2, 0), "telegram_dm": (1, 0, 0, 1)}
    document = build_document(report_of(entries))
    table = next(s for s in document.sections if s.title == "Messages").subsections[0].table
    assert table is not None
    assert [row[:4] for row in table.rows] == [
        ("SMS", "2", "2", "0"),
        ("Telegram (message personnel)", "1", "0", "1"),
    ]


def test_fallbacks_in_journals_written_before_they_were_marked() -> None:
    # The failure names its fallback: the acceptance is known to be one.
    named = journal(
        OPENED,
        sent("m1", {"telegram_dm": 1, "sms": 1}),
        failed("d1", "telegram_dm", "d3"),
        batch("sms", ["d2", "d3"]),
    )
    assert channel_counts(named)["sms"] == (2, 1, 2, 0)
    # A fallback made while its channel was down names nothing: never more accepted than sent.
    unnamed = journal(OPENED, sent("m1", {"telegram_dm": 1, "sms": 1}), batch("sms", ["d2", "d3"]))
    deliveries, _, accepted_count, _ = channel_counts(unnamed)["sms"]
    assert deliveries >= accepted_count == 2


def test_a_failed_fallback_counts_as_a_delivery_and_a_failure() -> None:
    entries = journal(
        OPENED,
        sent("m1", {"telegram_dm": 1}),
        failed("d1", "telegram_dm", "d3"),
        failed("d3", "sms", None),
    )
    assert channel_counts(entries) == {"sms": (1, 1, 0, 1), "telegram_dm": (1, 0, 0, 1)}


def cip_journal(*tail: tuple[str, dict[str, Any]]) -> list[JournalEntry]:
    return journal(
        OPENED,
        ACTIVATED,
        (
            "event.CipOrdered",
            {"ordered_at": at(10), "ordered_by": "préfet", "numero_unique": "0 800 00 91 91"},
        ),
        ("event.CipDeclaredOperational", {"declared_at": at(40), "declared_by": "cadre"}),
        (
            "event.MessageSent",
            {"message_id": "m1", "audiences": ["public", "media"], "deliveries": {"feed": 1}},
        ),
        (
            "event.CipPublished",
            {"message_id": "m1", "numero_unique": "0 800 00 91 91", "kind": "activation"},
        ),
        *tail,
    )


def test_the_numero_unique_is_published_once_a_channel_accepts_it() -> None:
    pending = report_of(cip_journal())
    assert pending.cip is not None
    assert (pending.cip.announced_at, pending.cip.published_at) == (DECIDED, None)
    assert [s.seq for s in pending.cip.sources] == [3, 4]
    facts = dict(
        next(s for s in build_document(pending).sections if s.title.startswith("Cell")).facts
    )
    assert facts["Numéro publié"].startswith("non : annonce en attente depuis le")
    assert facts["Journal"] == "n° 3, n° 4"
    row = event_row("c", cip_journal(), ChainCheck("c", 6, True), NOW)
    assert row.cip is not None and row.cip.published is False

    entries = cip_journal(
        (
            "event.DeliveriesAccepted",
            {
                "message_id": "m1",
                "channel": "feed",
                "audience": "public",
                "deliveries": accepted("d1"),
            },
        )
    )
    done = report_of(entries)
    assert done.cip is not None
    assert done.cip.published_at == DECIDED + timedelta(minutes=1, seconds=5)
    assert [s.seq for s in done.cip.sources] == [3, 4, 7]
    row = event_row("c", entries, ChainCheck("c", 7, True), NOW)
    assert row.cip is not None
    assert (row.cip.published, [s.seq for s in row.cip.sources]) == (True, [3, 4, 7])


def test_a_broken_chain_says_nothing_of_its_event_but_its_exclusion() -> None:
    entries = cip_journal(met("elus", 15, "diffusion d-sms (SMS)"), started("elus"))
    check = ChainCheck("c", 2, False, 2, "empreinte altérée")
    row = event_row("c", entries, check, NOW)
    assert (row.counted, row.note, row.clocks, row.cip) == (
        False,
        "Chaîne rompue : exclu.",
        {},
        None,
    )
    assert (row.decided_at, row.reported_at, row.closed_at, row.sources) == (None, None, None, [])
    assert row.chain.first_broken_seq == 2
    pack = build_indicators(
        streams={"c": entries},
        verify=lambda _stream: check,
        period=make_period(date(2026, 6, 1), date(2026, 6, 30)),
        now=NOW,
    )
    html = to_html(pack)
    assert "Le préfet n'a pas ordonné" not in html
    assert "Aucun ordre d'activation de la CIP parmi les événements comptés." in html
    assert "0 800 00 91 91" not in html
    assert "Chaîne rompue : exclu." in html


def weekly_programme() -> list[JournalEntry]:
    created = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    return [
        JournalEntry(
            "system",
            1,
            created,
            "cadre",
            "command.AddDrillSchedule",
            {
                "command": {
                    "name": "Exercice hebdomadaire",
                    "scenario": "crue-seine",
                    "rrule": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0",
                    "cron": None,
                    "starts_at": created.isoformat(),
                    "mode": "unattended",
                },
                "outcome": {"schedule_id": "s1"},
            },
            "0" * 64,
            "1" * 64,
        )
    ]


def test_each_programme_occurrence_is_listed_once_however_many() -> None:
    pack = build_indicators(
        streams={"system": weekly_programme()},
        verify=lambda stream: ChainCheck(stream, 1, True),
        period=make_period(date(2026, 1, 1), date(2026, 12, 31)),
        now=datetime(2027, 1, 1, tzinfo=UTC),
    )
    planned = pack.commitments.c49.planned
    assert planned == 52  # more than one table of 30 rows
    rows = to_html(pack).count("<tr><td>Exercice hebdomadaire</td>")
    assert rows == planned


def test_a_broken_programme_chain_says_nothing_of_the_programme_but_its_exclusion() -> None:
    pack = build_indicators(
        streams={"system": weekly_programme()},
        verify=lambda stream: ChainCheck(stream, 1, False, 1, "empreinte altérée"),
        period=make_period(date(2026, 1, 1), date(2026, 12, 31)),
        now=datetime(2027, 1, 1, tzinfo=UTC),
    )
    programme = pack.commitments.c49
    assert programme.excluded is True
    assert (programme.planned, programme.missed, programme.occurrences) == (0, 0, [])
    assert pack.statement is not None and "exercice" not in pack.statement
    assert pack.all_chains_ok is False
    html = to_html(pack)
    assert "Programme d'exercices : chaîne rompue : exclu." in html
    assert "prévu(s) au programme" not in html and "Exercice hebdomadaire" not in html
