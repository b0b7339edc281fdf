"""OVHcloud's delivery reports: the query string of a call to the SMS user's callback URL.

OVHcloud documents the call (« Tout savoir sur les utilisateurs SMS », step 5): when a sent
SMS's status changes, the user's callback URL is called with `id` (the SMS id, the one the
job's answer gave), `ptt` (its state code, `GET /sms/ptts`), `date`, `description` (the DLR
state: 0 pending, 1 success, 2 failed, 4 waiting, 8 buffered, 16 error, not billed) and
`descriptionDlr`. Only success and failure are final; the others are intermediate notices.

A report is turned into the receipt the store keeps for every provider, in the SMPP words
(DELIVRD, EXPIRED, REJECTD, UNDELIV) with the reason in French. The instant kept is the
report's arrival: the documentation does not give the format of `date`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from channels.contract import HandsetReceipt

DLR_SUCCESS: Final = "1"
DLR_FAILED: Final = frozenset({"2", "16"})
PTT_DELIVERED: Final = "4"
PTT_EXPIRED: Final = "8"
PTT_SPAM: Final = "28"

_REASONS: Final[dict[str, str]] = {
    "5": "non remis : échec confirmé par l'opérateur, sans détail",
    "6": "non remis : l'opérateur n'a pas donné d'état final",
    PTT_EXPIRED: "non remis : délai de validité expiré (téléphone éteint ou hors réseau)",
    "20": "non remis : message non distribuable sous cette forme",
    "21": "non remis : crédit de l'abonné insuffisant",
    "23": "non remis : numéro invalide ou bloqué chez l'opérateur",
    "24": "non remis : abonné absent (téléphone éteint ou introuvable sur le réseau)",
    "25": "non remis : incident passager du réseau de l'opérateur",
    "26": "non remis : erreur passagère du téléphone (mémoire ou carte SIM pleine)",
    "27": "non remis : téléphone incapable de recevoir ce message",
    PTT_SPAM: "non remis : rejeté par l'opérateur (soupçon de spam)",
    "29": "non remis : contenu refusé par le réseau",
    "39": "non remis : panne de l'opérateur",
    "73": "non remis : numéro porté injoignable",
    "74": "non remis : abonné en itinérance",
    "76": "non remis : numéro porté bloqué",
    "202": "non remis : numéro porté bloqué",
}


def parse_report(
    query: Mapping[str, str], *, channel: str, received_at: datetime
) -> HandsetReceipt | None:
    """The final receipt a report carries; None for an intermediate notice or a report
    that names no SMS."""
    sms_id = query.get("id", "").strip()
    dlr = query.get("description", "").strip()
    ptt = query.get("ptt", "").strip()
    if not sms_id or not (dlr == DLR_SUCCESS or dlr in DLR_FAILED):
        return None
    delivered = dlr == DLR_SUCCESS
    if delivered:
        state, reason = "DELIVRD", "remis au téléphone"
    else:
        state = {PTT_EXPIRED: "EXPIRED", PTT_SPAM: "REJECTD"}.get(ptt, "UNDELIV")
        reason = _REASONS.get(ptt, f"non remis (état OVHcloud {ptt or 'inconnu'})")
    return HandsetReceipt(
        channel=channel,
        provider_message_id=sms_id,
        delivered=delivered,
        state=state,
        reason=reason,
        received_at=received_at,
        error_code=f"ptt {ptt}"[:16] if ptt else "",
    )
