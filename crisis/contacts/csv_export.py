"""Write the directory as the CSV file Excel opens (and the import reads back).

`;` separated — the list separator of a French Excel — in UTF-8 with a byte-order mark: the
mark is what makes Excel read the file as UTF-8, so every name keeps its letters (Windows-1252
has no « ő », « ğ » or « Ł », met in élus' names); the import reads both encodings anyway.
Mobiles are written the French way (« 06 12 34 56 78 », « 00 44 7400 123456 »): Excel keeps
them as text where « +33612345678 » would become a formula or a number. A cell that Excel
would run as a formula is made inert by the writer (`SpreadsheetCsv`, OWASP CSV injection).
"""

from __future__ import annotations

from collections.abc import Iterable

import phonenumbers

from crisis.contacts.csv_import import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from crisis.domain.contacts import Contact
from crisis.spreadsheet_csv import SpreadsheetCsv

HEADER = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


def french_mobile(e164: str | None) -> str:
    """« +33612345678 » → « 06 12 34 56 78 »; a foreign number with the 00 prefix."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_out_of_country_calling_number(number, "FR")


def _cell(value: str | None) -> str:
    return value or ""


def contacts_csv(contacts: Iterable[Contact]) -> bytes:
    writer = SpreadsheetCsv()
    writer.writerow(HEADER)
    for contact in contacts:
        writer.writerow(
            [
                _cell(contact.name),
                contact.category.value,
                _cell(contact.email),
                french_mobile(contact.mobile),
                _cell(contact.telegram_chat_id),
                _cell(contact.commune),
                _cell(contact.fonction),
                "oui" if contact.exercise else "non",
                "oui" if contact.active else "non",
            ]
        )
    return writer.encoded()
