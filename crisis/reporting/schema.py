"""The JSON schema of the indicators pack, generated from its model.

`python -m crisis.reporting.schema` rewrites `indicators.schema.json`; a test checks that the
file in the repository is the one the model gives, and that every pack validates against it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crisis.reporting.indicators_model import Indicators

SCHEMA_PATH = Path(__file__).with_name("indicators.schema.json")


def indicators_schema() -> dict[str, Any]:
    schema = Indicators.model_json_schema(by_alias=True, mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Indicateurs Qual-e-Pref (module 7)"
    schema["description"] = (
        "Dossier d'indicateurs d'une période, calculé d'après le journal : "
        "`crisis indicateurs --format json` et GET /api/v1/indicators."
    )
    return schema


def schema_text() -> str:
    return json.dumps(indicators_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(schema_text(), "utf-8")
