"""The pack's tables as typed cells (text, numbers, instants in Paris time): one definition
for the CSV file and the Excel workbook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from crisis.clock import PARIS, ensure_utc
from crisis.labels import audience_label, channel_label
from crisis.reporting.citations import entry_list
from crisis.reporting.indicators_model import (
    AUDIENCES,
    ActionRow,
    ChainStatus,
    ClockFigure,
    EventRow,
    Indicators,
    ProgrammeOccurrence,
    Stats,
)
from crisis.reporting.report_models import HandsetAudienceReport

Cell = str | int | float | bool | date | datetime | None

CLOCK_TITLES = {
    "cell": "cellule (47)",
    "elus": "élus (48)",
    "public": "public (48)",
    "media": "médias (48)",
}
AUDIENCE_TITLES = {"elus": "Élus", "public": "Public", "media": "Médias"}


def paris(instant: datetime | None) -> datetime | None:
    """A wall-clock Paris time without offset, as spreadsheets hold dates."""
    if instant is None:
        return None
    return ensure_utc(instant).astimezone(PARIS).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[Cell]]


def _clock_cells(figure: ClockFigure | None) -> list[Cell]:
    if figure is None:
        return [None, None, None]
    channel = channel_label(figure.channel) if figure.channel is not None else None
    return [figure.delay_minutes, figure.verdict_label, channel]


def _cited(figure: ClockFigure | None) -> str | None:
    return entry_list(figure.sources) if figure is not None else None


def event_table(rows: list[EventRow], title: str) -> Table:
    headers = [
        "Identifiant",
        "Titre",
        "Nature",
        "Communes",
        "Signalement",
        "Décision d'activation du COD",
        "Clôture",
    ]
    for clock in ("cell", *AUDIENCES):
        name = CLOCK_TITLES[clock]
        headers += [f"Délai {name} (min)", f"Verdict {name}", f"Moyen {name}"]
    headers += [
        "Ordre CIP",
        "Délai CIP (min)",
        "Numéro unique publié",
        "Compté",
        "Remarque",
        "RETEX",
        "Chaîne intacte",
        "Empreinte de tête",
    ]
    # The journal entries that hold each figure (numbers in the event's own chain).
    headers += [f"Journal {CLOCK_TITLES[clock]}" for clock in ("cell", *AUDIENCES)]
    headers.append("Journal CIP (50)")
    table_rows: list[list[Cell]] = []
    for row in rows:
        cells: list[Cell] = [
            row.crisis_id,
            row.title,
            row.kind_label,
            ", ".join(row.communes),
            paris(row.reported_at),
            paris(row.decided_at),
            paris(row.closed_at),
        ]
        for clock in ("cell", *AUDIENCES):
            cells += _clock_cells(row.clocks.get(clock))
        cells += [
            paris(row.cip.ordered_at) if row.cip else None,
            row.cip.delay_minutes if row.cip else None,
            ("oui" if row.cip.published else "non") if row.cip else None,
            "oui" if row.counted else "non",
            row.note,
            "oui" if row.retex_recorded else "non",
            "oui" if row.chain.ok else "non",
            row.chain.head_hash,
        ]
        cells += [_cited(row.clocks.get(clock)) for clock in ("cell", *AUDIENCES)]
        cells.append(entry_list(row.cip.sources) if row.cip else None)
        table_rows.append(cells)
    return Table(title, headers, table_rows)


STATS_HEADERS = [
    "Engagement",
    "Objet",
    "Événements mesurés",
    "Dans l'objectif",
    "Part dans l'objectif",
    "Délai médian (min)",
    "90e centile (min)",
    "Pire délai (min)",
    "Tenus en retard",
    "Non tenus",
    "En cours (non comptés)",
]


def _stats_row(commitment: str, subject: str, stats: Stats) -> list[Cell]:
    return [
        commitment,
        subject,
        stats.events,
        stats.within_target,
        stats.share_within_target,
        stats.median_minutes,
        stats.p90_minutes,
        stats.worst_minutes,
        stats.met_late,
        stats.not_met,
        stats.running,
    ]


def indicators_table(pack: Indicators) -> Table:
    c = pack.commitments
    rows = [_stats_row("47", "Cellule de communication opérationnelle", c.c47)]
    rows += [_stats_row("48", f"Information : {AUDIENCE_TITLES[a]}", c.c48[a]) for a in AUDIENCES]
    rows.append(_stats_row("50", "CIP opérationnelle après l'ordre", c.c50))
    return Table("Indicateurs", STATS_HEADERS, rows)


def programme_table(occurrences: list[ProgrammeOccurrence]) -> Table:
    headers = [
        "Programme",
        "Date prévue",
        "Mode",
        "Issue",
        "Horloges tenues",
        "Horloges mesurées",
        "Événement",
        "Journal système",
    ]
    rows: list[list[Cell]] = [
        [
            o.name,
            paris(o.occurrence),
            "en direct" if o.mode == "live" else "automatique",
            o.status_label,
            o.clocks_met,
            o.clocks_measured,
            o.crisis_id,
            entry_list(o.sources),
        ]
        for o in occurrences
    ]
    return Table("Engagement 49", headers, rows)


def actions_table(actions: list[ActionRow], title: str) -> Table:
    headers = ["Événement", "Exercice", "Action", "Responsable", "Échéance", "État", "Faite le"]
    rows: list[list[Cell]] = [
        [
            a.title,
            "oui" if a.exercise else "non",
            a.action.description,
            a.action.owner,
            a.action.due_date,
            a.action.state_label + (" (en retard)" if a.overdue else ""),
            paris(a.action.done_at),
        ]
        for a in actions
    ]
    return Table(title, headers, rows)


def chains_table(chains: list[ChainStatus]) -> Table:
    headers = ["Chaîne", "Vérification", "Entrées vérifiées", "Tête (n°)", "Empreinte de tête"]
    rows: list[list[Cell]] = [
        [
            c.chain,
            "intacte" if c.ok else f"ROMPUE à l'entrée n° {c.first_broken_seq} : {c.reason}",
            c.entries_checked,
            c.head_seq,
            c.head_hash,
        ]
        for c in chains
    ]
    return Table("Journal", headers, rows)


HANDSET_HEADERS = [
    "Événements",
    "Public",
    "Canal",
    "SMS envoyés",
    "Acceptés",
    "Remis au téléphone",
    "Non remis",
    "Envoi → téléphone, médiane (s)",
    "Envoi → téléphone, pire (s)",
]


def _whole(seconds: float | None) -> int | None:
    """Whole seconds, as the event page shows them."""
    return None if seconds is None else round(seconds)


def _handset_rows(kind: str, reports: list[HandsetAudienceReport]) -> list[list[Cell]]:
    return [
        [
            kind,
            audience_label(h.audience).capitalize(),
            channel_label(h.channel),
            h.sent,
            h.accepted,
            h.delivered,
            h.undelivered,
            _whole(h.median_seconds),
            _whole(h.worst_seconds),
        ]
        for h in reports
    ]


def handsets_table(pack: Indicators) -> Table:
    """What reached the handsets, per audience: the real events', then the exercises'."""
    rows = _handset_rows("Événements réels", pack.handsets)
    rows += _handset_rows("Exercices", pack.exercises.handsets)
    return Table("Remise des SMS au téléphone", HANDSET_HEADERS, rows)
