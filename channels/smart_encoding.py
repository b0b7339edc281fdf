"""SMS « smart encoding »: typographic characters replaced by their GSM-7 equivalent.

One character outside GSM 03.38 (a typographic apostrophe, an en dash) turns a whole SMS into
UCS-2, which holds 70 characters per part instead of 160. SMS gateways replace such characters
before sending; so does the service, before an SMS is measured and sent, so that French text
stays in GSM-7. Accented letters of GSM-7 (é, è, à, ù…) are kept; others stay as written.
"""

from __future__ import annotations

from typing import Final

# The one table of replacements: character → GSM-7 text.
SMART_REPLACEMENTS: Final[dict[str, str]] = {
    # apostrophes and single quotes
    "\u2018": "'",  # ‘
    "\u2019": "'",  # ’
    "\u201a": "'",  # ‚
    "\u201b": "'",  # ‛
    "\u2032": "'",  # ′
    "\u02bc": "'",  # ʼ
    # double quotes and guillemets
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "\u201f": '"',  # ‟
    "\u2033": '"',  # ″
    "\u00ab": '"',  # «
    "\u00bb": '"',  # »
    "\u2039": "'",  # ‹
    "\u203a": "'",  # ›
    # dashes and hyphens
    "\u2010": "-",  # ‐
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # ‒
    "\u2013": "-",  # –
    "\u2014": "-",  # —
    "\u2015": "-",  # ―
    "\u2212": "-",  # minus sign
    # ellipsis and bullets
    "\u2026": "...",  # …
    "\u2022": "-",  # •
    "\u00b7": ".",  # ·
    # spaces: non-breaking, narrow, thin, figure…
    "\u00a0": " ",
    "\u202f": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2007": " ",
    "\u2008": " ",
    "\u2009": " ",
    "\u200a": " ",
    # invisible characters
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
    "\u00ad": "",  # soft hyphen
    # ligatures
    "\u0153": "oe",  # œ
    "\u0152": "OE",  # Œ
}

_TABLE: Final = str.maketrans(SMART_REPLACEMENTS)


def smart_encode(text: str) -> str:
    """The text with each typographic character replaced by its GSM-7 equivalent."""
    return text.translate(_TABLE)
