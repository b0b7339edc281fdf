"""The CAP 1.2 schema (OASIS, bundled in `schemas/`): every CAP document is checked against it
before it is published."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import xmlschema

CAP_SCHEMA_RESOURCE = files("crisis.publishing") / "schemas" / "CAP-v1.2.xsd"


class InvalidCapDocumentError(ValueError):
    """A CAP document that the OASIS schema rejects; the message says why, in French."""


@cache
def cap_schema() -> xmlschema.XMLSchema:
    """Built at the first CAP document (xmlschema and its XPath engine take 0.3 s to import,
    which every command of the CLI paid); long-running processes build it at start."""
    import xmlschema

    return xmlschema.XMLSchema(CAP_SCHEMA_RESOURCE.read_text("utf-8"))


def validate_cap(document: str) -> None:
    """Raise InvalidCapDocumentError when the document is not valid CAP 1.2."""
    error = next(iter(cap_schema().iter_errors(document)), None)
    if error is not None:
        where = error.path or "document"
        raise InvalidCapDocumentError(
            f"document CAP non conforme au schéma CAP 1.2 ({where}) : {error.reason}"
        )
