"""SMPP 3.4 PDUs, encoded and decoded by smpplib's codec, and what their statuses mean.

smpplib builds and parses every PDU of SMPP 3.4 with its optional parameters (TLVs); its
blocking `Client` is not used: the link (`channels.smpp.link`) is asyncio's own, so that a
window of requests can wait for their answers at once.
"""

from __future__ import annotations

import struct
from typing import Any, Final

import smpplib.command
import smpplib.smpp

from channels.contract import SendError

HEADER: Final = struct.Struct(">LLLL")
MAX_PDU_OCTETS: Final = 64 * 1024  # far above any SMPP 3.4 PDU: a longer one is garbage

# Command statuses (SMPP 3.4 §5.1.3) the service tells apart.
ESME_ROK: Final = 0x00
ESME_RINVMSGLEN: Final = 0x01
ESME_RINVCMDLEN: Final = 0x02
ESME_RINVCMDID: Final = 0x03
ESME_RINVBNDSTS: Final = 0x04
ESME_RALYBND: Final = 0x05
ESME_RSYSERR: Final = 0x08
ESME_RINVSRCADR: Final = 0x0A
ESME_RINVDSTADR: Final = 0x0B
ESME_RINVMSGID: Final = 0x0C
ESME_RBINDFAIL: Final = 0x0D
ESME_RINVPASWD: Final = 0x0E
ESME_RINVSYSID: Final = 0x0F
ESME_RMSGQFUL: Final = 0x14
ESME_RINVESMCLASS: Final = 0x43
ESME_RSUBMITFAIL: Final = 0x45
ESME_RINVSRCTON: Final = 0x48
ESME_RINVSRCNPI: Final = 0x49
ESME_RINVDSTTON: Final = 0x50
ESME_RINVDSTNPI: Final = 0x51
ESME_RTHROTTLED: Final = 0x58
ESME_RINVSCHED: Final = 0x61
ESME_RINVEXPIRY: Final = 0x62
ESME_RX_T_APPN: Final = 0x64
ESME_RX_P_APPN: Final = 0x65
ESME_RX_R_APPN: Final = 0x66
ESME_RQUERYFAIL: Final = 0x67
ESME_RUNKNOWNERR: Final = 0xFF

# The operator asks to try later: the message itself is fine.
RETRY_LATER: Final[dict[int, str]] = {
    ESME_RTHROTTLED: "débit dépassé (ESME_RTHROTTLED)",
    ESME_RMSGQFUL: "file d'attente de l'opérateur pleine (ESME_RMSGQFUL)",
    ESME_RSYSERR: "erreur interne de l'opérateur (ESME_RSYSERR)",
    ESME_RX_T_APPN: "erreur temporaire de l'opérateur (ESME_RX_T_APPN)",
    ESME_RINVBNDSTS: "liaison non authentifiée (ESME_RINVBNDSTS)",
}
# After these, the same message will be refused again: final, with the reason in French.
FINAL: Final[dict[int, str]] = {
    ESME_RINVMSGLEN: "longueur de message refusée (ESME_RINVMSGLEN)",
    ESME_RINVSRCADR: "émetteur refusé par l'opérateur (ESME_RINVSRCADR)",
    ESME_RINVDSTADR: "numéro de destinataire invalide (ESME_RINVDSTADR)",
    ESME_RINVESMCLASS: "classe de message refusée (ESME_RINVESMCLASS)",
    ESME_RSUBMITFAIL: "envoi refusé par l'opérateur (ESME_RSUBMITFAIL)",
    ESME_RINVSRCTON: "type d'émetteur (TON) refusé (ESME_RINVSRCTON)",
    ESME_RINVSRCNPI: "plan de numérotation de l'émetteur (NPI) refusé (ESME_RINVSRCNPI)",
    ESME_RINVDSTTON: "type de numéro du destinataire (TON) refusé (ESME_RINVDSTTON)",
    ESME_RINVDSTNPI: "plan de numérotation du destinataire (NPI) refusé (ESME_RINVDSTNPI)",
    ESME_RINVSCHED: "heure d'envoi programmée refusée (ESME_RINVSCHED)",
    ESME_RINVEXPIRY: "durée de validité refusée (ESME_RINVEXPIRY)",
    ESME_RX_P_APPN: "refus définitif de l'opérateur (ESME_RX_P_APPN)",
    ESME_RX_R_APPN: "message rejeté par l'opérateur (ESME_RX_R_APPN)",
}
BIND_REFUSED: Final[dict[int, str]] = {
    ESME_RBINDFAIL: "connexion refusée par l'opérateur (ESME_RBINDFAIL)",
    ESME_RINVPASWD: "mot de passe refusé (ESME_RINVPASWD)",
    ESME_RINVSYSID: "identifiant (system_id) inconnu de l'opérateur (ESME_RINVSYSID)",
    ESME_RALYBND: "liaison déjà établie (ESME_RALYBND)",
}


def status_text(status: int) -> str:
    """The French meaning of a command status, with its SMPP name and code."""
    for table in (RETRY_LATER, FINAL, BIND_REFUSED):
        if status in table:
            return table[status]
    return f"statut SMPP 0x{status:08X}"


def submit_error(status: int) -> SendError:
    """A submit_sm answered with a non-zero status, as the dispatcher understands it."""
    if status in RETRY_LATER:
        # Throttling asks every sender to slow down, not only this message.
        wait = 1.0 if status == ESME_RTHROTTLED else 5.0
        return SendError(
            f"SMSC : {RETRY_LATER[status]}, nouvel essai plus tard.",
            retryable=True,
            retry_after=wait,
        )
    return SendError(f"SMSC : {status_text(status)}.", retryable=False)


class Sequence:
    """Sequence numbers of one link's requests: 1 to 0x7FFFFFFF, then 1 again."""

    def __init__(self) -> None:
        self.sequence = 0

    def next_sequence(self) -> int:
        self.sequence = 1 if self.sequence >= 0x7FFFFFFF else self.sequence + 1
        return self.sequence


def request(command: str, sequence: Sequence, **fields: Any) -> Any:
    """A request PDU with the link's next sequence number."""
    return smpplib.smpp.make_pdu(command, client=sequence, **fields)


def response(command: str, *, to: int, status: int = ESME_ROK, **fields: Any) -> Any:
    """The answer to the request of sequence number `to`."""
    pdu = smpplib.smpp.make_pdu(command, client=None, status=status, **fields)
    pdu.sequence = to  # smpplib's constructor leaves a given sequence number aside
    return pdu


def encode(pdu: Any) -> bytes:
    encoded: bytes = pdu.generate()
    return encoded


def decode(raw: bytes) -> Any | None:
    """The PDU, or None for a command this codec does not know (answered by generic_nack)."""
    try:
        # The sequence given is only drawn from by smpplib's constructor; the header's wins.
        return smpplib.smpp.parse_pdu(raw, client=Sequence(), allow_unknown_opt_params=True)
    except smpplib.command.exceptions.UnknownCommandError:
        return None


def header(raw: bytes) -> tuple[int, int, int, int]:
    """command_length, command_id, command_status, sequence_number."""
    length, command_id, status, sequence = HEADER.unpack_from(raw)
    return length, command_id, status, sequence
