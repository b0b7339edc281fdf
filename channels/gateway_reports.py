"""The « passerelle HTTP générique »'s delivery reports: what it POSTs to
`/api/v1/sms/passerelle/{callback_token}` (the schema is in docs/integrations/sms.md).

A report names the SMS by the id the gateway answered to the send, and its state by the
SMPP 3.4 words every SMS gateway knows (Kannel's and Jasmin's delivery reports carry them):
DELIVRD, EXPIRED, UNDELIV, REJECTD, DELETED, UNKNOWN are final; ENROUTE, ACCEPTD and the like
are intermediate notices, ignored. The reasons are those of the SMPP receipts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from channels.contract import HandsetReceipt
from channels.smpp.receipts import FINAL_STATES


class GatewayReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1, max_length=200, description="L'id rendu à l'envoi.")
    state: Literal[
        "DELIVRD", "EXPIRED", "UNDELIV", "REJECTD", "DELETED", "UNKNOWN", "ENROUTE", "ACCEPTD"
    ]
    error: str = Field(default="", max_length=16, description="Code d'erreur de l'opérateur.")


def receipt_of(
    report: GatewayReport, *, channel: str, received_at: datetime
) -> HandsetReceipt | None:
    """The final receipt a report carries; None for an intermediate notice."""
    if report.state not in FINAL_STATES:
        return None
    delivered, reason = FINAL_STATES[report.state]
    return HandsetReceipt(
        channel=channel,
        provider_message_id=report.id,
        delivered=delivered,
        state=report.state,
        reason=reason,
        received_at=received_at,
        error_code=report.error,
    )
