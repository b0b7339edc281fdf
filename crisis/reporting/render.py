"""The timing report in JSON, Markdown, CSV, HTML (with its timeline) and PDF."""

from __future__ import annotations

import csv
import io
import json
import warnings
from datetime import datetime
from enum import StrEnum
from importlib import resources

from jinja2 import Environment, select_autoescape

from crisis.domain.vocabulary import CRISIS_KIND_LABELS, CrisisKind
from crisis.french import compact_datetime, long_datetime
from crisis.reporting.report_models import STATE_LABELS, ChronologyEntry, TimingReport
from crisis.reporting.svg import timeline_svg


class ReportFormat(StrEnum):
    JSON = "json"
    HTML = "html"
    MD = "md"
    CSV = "csv"
    PDF = "pdf"


def _when(instant: datetime | None) -> str:
    return long_datetime(instant) if instant is not None else "—"


def _at(instant: datetime | None) -> str:
    return compact_datetime(instant) if instant is not None else "—"


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:g} min".replace(".", ",")


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:g} s".replace(".", ",")


def _seqs(entry: ChronologyEntry) -> str:
    """The entry's number, or the first and last numbers of a grouped run."""
    return str(entry.seq) if entry.last_seq is None else f"{entry.seq}–{entry.last_seq}"


def _kind(report: TimingReport) -> str:
    try:
        return CRISIS_KIND_LABELS[CrisisKind(report.kind)]
    except ValueError:
        return report.kind


def to_json(report: TimingReport) -> str:
    return json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2)


def to_markdown(report: TimingReport) -> str:
    lines = []
    if report.exercise:
        lines += ["> **EXERCICE** — rapport d'un exercice", ""]
    lines += [
        f"# Rapport de chronométrage — {report.title}",
        "",
        f"- Nature : {_kind(report)}",
        f"- Communes : {', '.join(report.communes) or '—'}",
        f"- Activation du COD : {_when(report.cod_decided_at)}"
        + (f" par {report.cod_decided_by}" if report.cod_decided_by else ""),
        f"- SYNERGI : {report.synergi_ref or '—'}",
        f"- Rapport établi le {_when(report.generated_at)}, d'après le journal",
        "",
        "## Engagements",
        "",
        "| Engagement | Objet | Verdict | Détail |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| n° {v.commitment} | {v.subject} | {v.label} | {v.detail} |" for v in report.verdicts
    ]
    lines += [
        "",
        "## Horloges",
        "",
        "| Horloge | Cible | Échéance | Atteinte | Délai réalisé | Marge | État |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {c.label} | {c.target_minutes} min | {_when(c.deadline)} | {_when(c.met_at)} | "
        f"{_minutes(c.achieved_minutes)} | {_minutes(c.margin_minutes)} | {STATE_LABELS[c.state]} |"
        for c in report.clocks
    ]
    lines += ["", "## Messages", ""]
    if not report.messages:
        lines.append("Aucun message envoyé par le service.")
    for m in report.messages:
        approval = f" ; approuvé par {m.approver} le {_when(m.approved_at)}" if m.approver else ""
        lines += [
            f"### Message {m.message_id[:8]} ({m.purpose}, {m.msg_type})",
            "",
            f"Auteur : {m.author}, créé le {_when(m.created_at)}{approval}.",
            "",
            "| Canal | Diffusions | Acceptées | Échecs | Première | Dernière | p50 | p95 |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {ch.channel} | {ch.deliveries} | {ch.accepted} | {ch.failed} | "
            f"{_when(ch.first_accepted_at)} | {_when(ch.last_accepted_at)} | "
            f"{_seconds(ch.latency_p50_seconds)} | {_seconds(ch.latency_p95_seconds)} |"
            for ch in m.channels
        ]
        lines.append("")
    if report.acknowledgements:
        lines += [
            "## Appel de la cellule",
            "",
            "| Qui | Rôle | Appelé | Accusé | Délai |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {a.who} | {a.role or '—'} | {_when(a.paged_at)} | {_when(a.acknowledged_at)} | "
            f"{_minutes(a.minutes_to_acknowledge)} |"
            for a in report.acknowledgements
        ]
        lines.append("")
    if report.cip is not None:
        cip = report.cip
        lines += [
            "## Cellule d'information du public (CIP)",
            "",
            f"Ordre du {_when(cip.ordered_at)} par {cip.ordered_by} — numéro unique "
            f"{cip.numero_unique}. Opérationnelle : {_when(cip.operational_at)} "
            f"({_minutes(cip.minutes_to_operational)}). Numéro publié : {_when(cip.published_at)}.",
            "",
        ]
    if report.injects:
        lines += [
            "## Injects",
            "",
            "| Décalage | De | À | Contenu | Action attendue | Cible |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| +{i.offset_minutes} min | {i.sender} | {i.to} | {i.content} | "
            f"{i.expected_action or '—'} | {_at(i.target_at)} |"
            for i in report.injects
        ]
        lines.append("")
    lines += _retex_markdown(report)
    chain = report.journal
    lines += [
        "## Intégrité du journal",
        "",
        f"Chaîne d'empreintes intacte : {chain.entries_checked} entrées vérifiées."
        if chain.ok
        else f"**CHAÎNE ROMPUE** à l'entrée n° {chain.first_broken_seq} : {chain.reason}.",
        "",
        "## Chronologie",
        "",
        "| n° | Heure | Qui | Quoi | Détail |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {_seqs(e)} | {_when(e.at)} | {e.actor} | {e.label} | {e.summary.replace('|', '/')} |"
        for e in report.chronology
    ]
    return "\n".join(lines) + "\n"


def _retex_markdown(report: TimingReport) -> list[str]:
    retex = report.retex
    if retex is None:
        return []
    lines = [
        "## Retour d'expérience (RETEX)",
        "",
        f"Version {retex.version}, enregistrée le {_when(retex.recorded_at)} "
        f"par {retex.recorded_by}.",
        "",
        f"- Ce qui a fonctionné : {retex.worked or '—'}",
        f"- Ce qui n'a pas fonctionné : {retex.did_not_work or '—'}",
        "",
        "| Action corrective | Responsable | Échéance | État |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {a.description} | {a.owner} | {a.due_date:%d/%m/%Y} | {a.state_label} |"
        for a in retex.actions
    ]
    return [*lines, ""]


def to_csv(report: TimingReport) -> str:
    """The chronology, one row per journal entry (per run of delivery outcomes), for a
    spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["n°", "instant (UTC)", "heure de Paris", "qui", "type", "libellé", "détail", "empreinte"]
    )
    for e in report.chronology:
        writer.writerow(
            [_seqs(e), e.at.isoformat(), _when(e.at), e.actor, e.kind, e.label, e.summary, e.hash]
        )
    return buffer.getvalue()


_ENV = Environment(autoescape=select_autoescape(default=True))
_TEMPLATE = _ENV.from_string(
    (resources.files("crisis.reporting") / "report.html.j2").read_text("utf-8")
)


def to_html(report: TimingReport) -> str:
    return _TEMPLATE.render(
        r=report,
        kind=_kind(report),
        chart=timeline_svg(report),
        states=STATE_LABELS,
        when=_when,
        at=_at,
        minutes=_minutes,
        seconds=_seconds,
        seqs=_seqs,
    )


def html_to_pdf(html: str) -> bytes:
    with warnings.catch_warnings():
        # Debian 12 ships HarfBuzz without its subset library; WeasyPrint still works.
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        from weasyprint import HTML

    document: bytes = HTML(string=html).write_pdf()
    return document


def to_pdf(report: TimingReport) -> bytes:
    return html_to_pdf(to_html(report))


def render(report: TimingReport, fmt: ReportFormat) -> bytes:
    if fmt is ReportFormat.PDF:
        return to_pdf(report)
    text = {
        ReportFormat.JSON: to_json,
        ReportFormat.HTML: to_html,
        ReportFormat.MD: to_markdown,
        ReportFormat.CSV: to_csv,
    }[fmt](report)
    return text.encode("utf-8")
