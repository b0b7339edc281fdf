"""The timing report as a document a person reads: titled sections of facts and tables.

Markdown, HTML, PDF and CSV are all drawn from this one document, so they carry the same
sections and the same facts, worded and formatted once (French dates in Europe/Paris,
durations as a person says them, labels instead of codes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from crisis.domain.vocabulary import CRISIS_KIND_LABELS, CrisisKind
from crisis.french import compact_datetime, duration, duration_minutes, long_datetime
from crisis.labels import (
    ACK_VIA_LABELS,
    COMMITMENT_STATE_LABELS,
    audience_label,
    channel_label,
    message_type_label,
    purpose_label,
    role_label,
)
from crisis.reporting.chronology import entry_numbers
from crisis.reporting.citations import entry_list
from crisis.reporting.report_models import (
    ChannelDeliveryReport,
    CipReport,
    ClockReport,
    MessageReport,
    TimingReport,
)
from crisis.reporting.summary import round_calls

HASH_SHOWN = 12  # hex digits of an entry's hash shown in the chronology


@dataclass(frozen=True, slots=True)
class Table:
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    # The state of each row (a verdict, a clock) as a CSS class of its state cell, for the HTML.
    row_classes: list[str] = field(default_factory=list)
    state_column: int | None = None


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    table: Table | None = None
    subsections: list[Section] = field(default_factory=list)
    empty: str = ""  # said when the section has nothing to show
    chart: bool = False  # the timeline chart goes at the head of this section


@dataclass(frozen=True, slots=True)
class ReportDocument:
    title: str
    exercise: bool
    facts: list[tuple[str, str]]
    sections: list[Section]
    generated: str
    head_hash: str


def when(instant: datetime | None) -> str:
    return long_datetime(instant) if instant is not None else "—"


def at(instant: datetime | None) -> str:
    return compact_datetime(instant) if instant is not None else "—"


def minutes(value: float | None) -> str:
    return "—" if value is None else duration_minutes(value)


def seconds(value: float | None) -> str:
    return "—" if value is None else duration(value)


STATE_CLASSES = {
    "met": "etat-tenu",
    "met_late": "etat-retard",
    "breached": "etat-depasse",
    "running": "etat-neutre",
    "not_started": "etat-neutre",
}


def kind_label(report: TimingReport) -> str:
    try:
        return CRISIS_KIND_LABELS[CrisisKind(report.kind)]
    except ValueError:
        return report.kind


def _head(report: TimingReport) -> list[tuple[str, str]]:
    activation = when(report.cod_decided_at) + (
        f" par {report.cod_decided_by}" if report.cod_decided_by else ""
    )
    closing = (
        f"{when(report.closed_at)} — "
        + ("ouvert par erreur, exclu des indicateurs : " if report.opened_by_mistake else "")
        + (report.close_reason or "sans motif")
        if report.closed_at
        else "événement en cours"
    )
    return [
        ("Nature", kind_label(report)),
        ("Communes", ", ".join(report.communes) or "—"),
        ("Signalement", when(report.reported_at)),
        ("Activation du COD", activation),
        ("SYNERGI", report.synergi_ref or "—"),
        ("Clôture", closing),
        ("Rapport établi", f"{when(report.generated_at)}, d'après le journal"),
    ]


def _commitments(report: TimingReport) -> Section:
    verdicts = report.verdicts
    return Section(
        "Engagements",
        table=Table(
            ("Engagement", "Objet", "Verdict", "Détail"),
            [(f"n° {v.commitment}", v.subject, v.label, v.detail) for v in verdicts],
            [STATE_CLASSES[v.state] for v in verdicts],
            state_column=2,
        ),
    )


def _clocks(report: TimingReport) -> Section:
    rows = [
        (
            c.label,
            minutes(c.target_minutes),
            at(c.started_at),
            at(c.deadline),
            at(c.met_at),
            minutes(c.achieved_minutes),
            minutes(c.margin_minutes),
            COMMITMENT_STATE_LABELS[c.state],
            entry_list(c.sources),
        )
        for c in report.clocks
    ]
    return Section(
        "Horloges",
        table=Table(
            (
                "Horloge",
                "Cible",
                "Lancée",
                "Échéance",
                "Atteinte",
                "Délai réalisé",
                "Marge",
                "État",
                "Journal",
            ),
            rows,
            [STATE_CLASSES[c.state] for c in report.clocks],
            state_column=7,
        ),
        empty="Aucune horloge : le COD n'a pas été activé.",
        chart=True,
        # Every explicit correction, with its reason: the figures above count it.
        facts=[(f"Correction — {c.label}", text) for c in report.clocks for text in c.corrections],
    )


def clock_line(clock: ClockReport) -> str:
    """« information des élus : 24 min pour 1 h (tenu) », for the command line."""
    state = COMMITMENT_STATE_LABELS[clock.state]
    achieved, target = minutes(clock.achieved_minutes), minutes(clock.target_minutes)
    return f"{clock.label} : {achieved} pour {target} ({state})"


def message_title(index: int, message: MessageReport) -> str:
    what = purpose_label(message.purpose)
    title = f"{index}. {what[0].upper()}{what[1:]}, {at(message.created_at)}"
    if message.msg_type != "alert":
        title += f" ({message_type_label(message.msg_type)})"
    return title


def _handsets(ch: ChannelDeliveryReport) -> str:
    text = f"{ch.handset_delivered} remis, {ch.handset_undelivered} non remis"
    if ch.handset_p50_seconds is not None:
        text += (
            f" ; de l'envoi au téléphone : médiane {seconds(ch.handset_p50_seconds)}, "
            f"au pire {seconds(ch.handset_worst_seconds)}"
        )
    return text


def _message(index: int, m: MessageReport) -> Section:
    facts = [("Référence", m.message_id[:8]), ("Auteur", f"{m.author}, le {when(m.created_at)}")]
    if m.paged_member:
        facts.append(("Personne appelée", f"{m.paged_member} ({role_label(m.paged_role)})"))
    to = [audience_label(a) for a in m.audiences] + [f"liste « {n} »" for n in m.lists]
    if to:
        facts.append(("Destinataires", ", ".join(to)))
    if m.approver:
        facts.append(
            (
                "Validation",
                f"par {m.approver} le {when(m.approved_at)}, "
                f"{minutes(m.minutes_to_approval)} après la demande",
            )
        )
    for ch in m.channels:
        if ch.handset_delivered is not None:
            facts.append((f"Remise au téléphone ({channel_label(ch.channel)})", _handsets(ch)))
    table = Table(
        (
            "Canal",
            "Diffusions",
            "Acceptées",
            "Échecs",
            "Première",
            "Dernière",
            "Latence médiane",
            "Latence (95\u00a0%)",
        ),
        [
            (
                channel_label(ch.channel),
                str(ch.deliveries),
                str(ch.accepted),
                str(ch.failed),
                at(ch.first_accepted_at),
                at(ch.last_accepted_at),
                seconds(ch.latency_p50_seconds),
                seconds(ch.latency_p95_seconds),
            )
            for ch in m.channels
        ],
    )
    return Section(message_title(index, m), facts=facts, table=table)


def _messages(report: TimingReport) -> Section:
    return Section(
        "Messages",
        subsections=[_message(i, m) for i, m in enumerate(report.messages, start=1)],
        empty="Aucun message envoyé par le service.",
    )


def _callout(report: TimingReport) -> Section:
    facts: list[tuple[str, str]] = []
    if report.callout is not None:
        c = report.callout
        facts = [
            ("Appels", str(c.pages)),
            ("Escalades", str(c.escalations)),
            ("Alertes du cadre de permanence", str(c.officer_alerts)),
            ("Quorum de la cellule atteint", when(c.quorum_reached_at)),
        ]
        if c.calls:
            facts.append(("Appels téléphoniques (bilans des tours)", round_calls(c.calls)))
    rows = [
        (
            a.who,
            role_label(a.role),
            at(a.paged_at),
            at(a.acknowledged_at),
            minutes(a.minutes_to_acknowledge),
            ACK_VIA_LABELS.get(a.via or "", a.via or "—")
            + (f", saisi par {a.recorded_by} pour le compte de {a.who}" if a.recorded_by else ""),
        )
        for a in report.acknowledgements
    ]
    return Section(
        "Appel de la cellule",
        facts=facts,
        table=Table(("Qui", "Rôle", "Appelé", "Accusé", "Délai", "Réponse"), rows)
        if rows
        else None,
        empty="La cellule n'a pas été appelée par le service.",
    )


def publication(cip: CipReport) -> str:
    """Published once a channel accepted the announcement; queued until then."""
    if cip.published_at is not None:
        return when(cip.published_at)
    if cip.announced_at is not None:
        return (
            f"non : annonce en attente depuis le {when(cip.announced_at)}, acceptée par aucun canal"
        )
    return "non"


def _cip(report: TimingReport) -> Section:
    cip = report.cip
    if cip is None:
        return Section("Cellule d'information du public (CIP)", empty="La CIP n'a pas été activée.")
    return Section(
        "Cellule d'information du public (CIP)",
        facts=[
            ("Ordre du préfet", f"{when(cip.ordered_at)}, par {cip.ordered_by}"),
            ("Numéro unique", cip.numero_unique),
            ("Opérationnelle", when(cip.operational_at)),
            ("Délai d'activation", minutes(cip.minutes_to_operational)),
            ("Numéro publié", publication(cip)),
            ("Fermeture", when(cip.deactivated_at)),
            ("Journal", entry_list(cip.sources)),
        ],
    )


def _injects(report: TimingReport) -> Section:
    rows = [
        (
            f"+{minutes(i.offset_minutes)}" if i.offset_minutes else "début",
            i.sender,
            role_label(i.to),
            channel_label(i.channel),
            i.content,
            i.expected_action or "—",
            at(i.target_at),
        )
        for i in report.injects
    ]
    return Section(
        "Injects de l'exercice",
        table=Table(
            ("Moment", "De", "À", "Canal", "Contenu", "Action attendue", "Attendue pour"), rows
        )
        if rows
        else None,
        empty="Aucun inject.",
    )


def _retex(report: TimingReport) -> Section | None:
    retex = report.retex
    if retex is None:
        return None
    rows = [
        (
            a.description,
            a.owner,
            f"{a.due_date:%d/%m/%Y}",
            a.state_label + (f" (le {at(a.done_at)})" if a.done_at else ""),
        )
        for a in retex.actions
    ]
    return Section(
        "Retour d'expérience (RETEX)",
        facts=[
            (
                "Version",
                f"{retex.version}, enregistrée le {when(retex.recorded_at)} par "
                f"{retex.recorded_by} (entrée n° {retex.source.seq})",
            ),
            ("Ce qui a fonctionné", retex.worked or "—"),
            ("Ce qui n'a pas fonctionné", retex.did_not_work or "—"),
        ],
        table=Table(("Action corrective", "Responsable", "Échéance", "État"), rows)
        if rows
        else None,
    )


def _annotations(report: TimingReport) -> Section | None:
    if not report.annotations:
        return None
    rows = [
        (at(a.at), a.text, a.written_by, a.action or "—", str(a.seq)) for a in report.annotations
    ]
    return Section(
        "Annotations de la relecture",
        table=Table(("Instant", "Remarque", "Auteur", "Action corrective liée", "n°"), rows),
    )


def _journal(report: TimingReport) -> Section:
    chain = report.journal
    state = (
        f"intacte : {chain.entries_checked} entrées vérifiées"
        if chain.ok
        else f"CHAÎNE ROMPUE à l'entrée n° {chain.first_broken_seq} : {chain.reason}"
    )
    return Section(
        "Intégrité du journal",
        facts=[("Chaîne d'empreintes", state), ("Empreinte de tête", chain.head_hash or "—")],
    )


def _chronology(report: TimingReport) -> Section:
    rows = [
        (entry_numbers(e), at(e.at), e.actor, e.label, e.summary, e.hash[:HASH_SHOWN])
        for e in report.chronology
    ]
    return Section(
        "Chronologie",
        table=Table(("n°", "Heure", "Qui", "Quoi", "Détail", "Empreinte"), rows),
        empty="Journal vide.",
    )


def build_document(report: TimingReport) -> ReportDocument:
    sections = [
        _commitments(report),
        _clocks(report),
        _messages(report),
        _callout(report),
        _cip(report),
    ]
    if report.injects or report.exercise:
        sections.append(_injects(report))
    retex = _retex(report)
    if retex is not None:
        sections.append(retex)
    annotations = _annotations(report)
    if annotations is not None:
        sections.append(annotations)
    sections += [_journal(report), _chronology(report)]
    return ReportDocument(
        title=f"Rapport de chronométrage — {report.title}",
        exercise=report.exercise,
        facts=_head(report),
        sections=sections,
        generated=when(report.generated_at),
        head_hash=report.journal.head_hash or "—",
    )
