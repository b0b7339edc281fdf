"""The encoding label the pages show agrees with the SMS measure (it compared « gsm7 »
with « GSM-7 » and always said UCS-2)."""

from __future__ import annotations

import pytest

from channels.measure import measure_sms
from crisis.labels import sms_encoding_label
from crisis.web.rendering import environment


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Crue de l'Orge : évitez les berges.", "GSM 7 bits"),
        ("Crue : « évitez » les berges – merci", "GSM 7 bits"),  # smart-encoded first
        ("Crue de l'Orge 漢", "Unicode (UCS-2)"),
        ("Crue de l'Orge ő", "Unicode (UCS-2)"),
    ],
)
def test_the_label_follows_the_measure(text: str, label: str) -> None:
    assert sms_encoding_label(measure_sms(text).encoding.value) == label


def test_the_compose_preview_says_the_measured_encoding() -> None:
    measured = measure_sms("Crue de l'Orge : évitez les berges.")
    variant = {
        "channel": "sms",
        "text": "Crue de l'Orge : évitez les berges.",
        "length": measured.segments,
        "limit": 3,
        "fits": True,
        "unit": "sms_segments",
        "segments": measured.segments,
        "encoding": measured.encoding.value,
        "units": measured.units,
    }
    html = (
        environment()
        .get_template("compose_preview.html.j2")
        .render(variants=[variant], preview_errors={}, oob=False)
    )
    assert "codage GSM 7 bits" in html
    assert "UCS-2" not in html
