"""Rendering bundled templates: fit, exercise marker, variable validation, limits."""

from __future__ import annotations

from typing import Any

import pytest

from crisis.templating import (
    DEFAULT_MARKER,
    LimitExceededError,
    TemplateRegistry,
    UnknownTemplateError,
    VariableError,
    Variant,
    default_variant_limits,
)
from crisis.templating.errors import TemplateError

BUNDLED = [
    "activation_cip",
    "alerte_population",
    "appel_cellule",
    "communique_presse",
    "fin_evenement",
    "information_elus",
    "point_situation",
]


def alert_vars(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "evenement": "incendie sur un site industriel",
        "communes": ["Évry-Courcouronnes", "Corbeil-Essonnes"],
        "emis_le": "2026-11-28T22:15:00+01:00",
        "consigne_courte": "Restez à l'intérieur.",
        "consignes": "- Fermez portes et fenêtres.",
    }
    values.update(changes)
    return values


def test_bundled_templates_are_all_loaded(registry: TemplateRegistry) -> None:
    assert [template.name for template in registry.templates()] == BUNDLED


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_examples_fit_two_sms_segments_even_with_marker(name: str) -> None:
    strict = TemplateRegistry.with_bundled(limits=default_variant_limits(sms_max_segments=2))
    assert strict.check(name) == []


@pytest.mark.parametrize("name", BUNDLED)
@pytest.mark.parametrize("exercise", [False, True])
def test_every_variant_renders_and_fits(
    registry: TemplateRegistry, name: str, exercise: bool
) -> None:
    template = registry.get(name)
    message = registry.render(name, variables=template.manifest.examples(), exercise=exercise)
    assert [rendered.variant for rendered in message] == list(template.variants)
    for rendered in message:
        assert rendered.fits, rendered.overrun
        assert rendered.text.strip() == rendered.text
        assert "None" not in rendered.text
        assert ("EXERCICE" in rendered.text) is exercise
        if rendered.variant is Variant.CAP_HEADLINE:
            assert len(rendered.text) <= 160


def test_public_templates_have_every_variant(registry: TemplateRegistry) -> None:
    # Every variant but the phone call's: the public and the media are not called.
    written = tuple(v for v in Variant if v is not Variant.VOICE)
    for name in ("alerte_population", "communique_presse", "point_situation"):
        assert registry.get(name).variants == written
    # an internal callout with a personal acknowledgement link is never published
    assert Variant.X not in registry.get("appel_cellule").variants
    assert Variant.CAP_HEADLINE not in registry.get("appel_cellule").variants


def test_alert_sms_exact_text(registry: TemplateRegistry) -> None:
    message = registry.render("alerte_population", variables=alert_vars(), exercise=False)
    sms = message.get("sms")
    assert sms.text == (
        "ALERTE Préfecture de l'Essonne (22 h 15) : incendie sur un site industriel - "
        "Évry-Courcouronnes et Corbeil-Essonnes. Restez à l'intérieur. "
        "Infos : https://www.essonne.gouv.fr"
    )
    assert len(sms.text) == 174
    assert (sms.measure.segments, sms.measure.encoding) == (2, "GSM-7")


def test_exercise_marker_prefixes_text_subject_and_headline(registry: TemplateRegistry) -> None:
    message = registry.render("alerte_population", variables=alert_vars(), exercise=True)
    assert message.text("sms").startswith(f"{DEFAULT_MARKER}\nALERTE ")
    assert message.text("email_subject") == (
        "EXERCICE EXERCICE EXERCICE – ALERTE – Incendie sur un site industriel – "
        "Évry-Courcouronnes et Corbeil-Essonnes"
    )
    assert message.text("cap_headline").startswith("EXERCICE EXERCICE EXERCICE – Alerte : ")
    html = message.text("email_html")
    assert '<body>\n<p class="exercice"><strong>EXERCICE EXERCICE EXERCICE</strong></p>' in html


def test_marker_is_measured(registry: TemplateRegistry) -> None:
    plain = registry.render("alerte_population", variables=alert_vars(), exercise=False)
    marked = registry.render("alerte_population", variables=alert_vars(), exercise=True)
    assert marked.get("x").measure.length == plain.get("x").measure.length + 27
    marked_sms, plain_sms = marked.get("sms").measure.sms, plain.get("sms").measure.sms
    assert marked_sms is not None
    assert plain_sms is not None
    assert marked_sms.units == plain_sms.units + 27


def test_custom_marker(registry: TemplateRegistry) -> None:
    message = registry.render(
        "alerte_population", variables=alert_vars(), exercise=True, marker="EXERCICE RICHTER"
    )
    assert message.text("telegram").startswith("EXERCICE RICHTER\nALERTE – ")


def test_missing_variable_is_named(registry: TemplateRegistry) -> None:
    values = alert_vars()
    del values["consignes"]
    with pytest.raises(VariableError) as caught:
        registry.render("alerte_population", variables=values, exercise=False)
    assert caught.value.missing == ("consignes",)
    assert str(caught.value) == (
        "Variables incorrectes pour le modèle « alerte_population » : "
        "variable(s) manquante(s) : consignes"
    )


def test_unknown_variable_is_refused(registry: TemplateRegistry) -> None:
    with pytest.raises(VariableError) as caught:
        registry.render("alerte_population", variables=alert_vars(victimes=3), exercise=False)
    assert caught.value.unknown == ("victimes",)
    assert "variable(s) inconnue(s) : victimes" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("emis_le", "2026-11-28T22:15:00", "décalage horaire"),
        ("emis_le", "demain soir", "date illisible"),
        ("numero_info", "12", "numéro de téléphone"),
        ("site_web", "javascript:alert(1)", "adresse web"),
        ("communes", "Évry", "liste"),
        ("consigne_courte", "ligne 1\nligne 2", "une seule ligne"),
    ],
)
def test_invalid_values_are_named(
    registry: TemplateRegistry, name: str, value: object, reason: str
) -> None:
    with pytest.raises(VariableError) as caught:
        registry.render("alerte_population", variables=alert_vars(**{name: value}), exercise=False)
    assert [item[0] for item in caught.value.invalid] == [name]
    assert reason in caught.value.invalid[0][1]


def test_optional_variable_default_and_absence(registry: TemplateRegistry) -> None:
    message = registry.render(
        "alerte_population",
        variables=alert_vars(numero_info="01 69 91 91 91", site_web="https://exemple.fr/crise"),
        exercise=False,
    )
    assert message.text("sms").endswith("Infos : https://exemple.fr/crise ou 01 69 91 91 91")
    assert 'href="tel:+33169919191"' in message.text("email_html")


def test_variable_values_are_data_never_templates(registry: TemplateRegistry) -> None:
    payload = "{{ ''.__class__.__mro__ }} {% raw %}"
    message = registry.render(
        "alerte_population", variables=alert_vars(consigne_courte=payload), exercise=False
    )
    assert payload in message.text("sms")
    assert payload in message.text("x")


def test_script_is_escaped_in_html_only(registry: TemplateRegistry) -> None:
    message = registry.render(
        "alerte_population",
        variables=alert_vars(evenement="<script>alert('x')</script>"),
        exercise=False,
    )
    html = message.text("email_html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<script>alert('x')</script>" in message.text("email_text")


def test_subject_stays_on_one_line(registry: TemplateRegistry) -> None:
    message = registry.render(
        "communique_presse",
        variables={**registry.get("communique_presse").manifest.examples()},
        exercise=False,
    )
    assert "\n" not in message.text("email_subject")


def test_too_long_variant_names_the_excess(registry: TemplateRegistry) -> None:
    # "ê" forces UCS-2: 67 units per part; a 201-unit sentence needs 4 parts
    long = "Fenêtres fermées. " + "a" * 200
    with pytest.raises(LimitExceededError) as caught:
        registry.render(
            "alerte_population",
            variables=alert_vars(consigne_courte=long),
            exercise=False,
            variants=["sms"],
        )
    sms_overrun = caught.value.overruns[0]
    assert sms_overrun.startswith("La variante sms dépasse la limite de 3 segments ")
    assert "(6 segments pour 3 autorisés)" in sms_overrun
    assert "encodage UCS-2 imposé par « ê »" in sms_overrun


def test_sms_one_segment_over(registry: TemplateRegistry) -> None:
    tight = TemplateRegistry.with_bundled(limits=default_variant_limits(sms_max_segments=1))
    with pytest.raises(LimitExceededError) as caught:
        tight.render("alerte_population", variables=alert_vars(), exercise=True, variants=["sms"])
    assert caught.value.overruns == (
        "La variante sms dépasse la limite de 1 segment (2 segments pour 1 autorisé)",
    )


def test_x_overrun_message(registry: TemplateRegistry) -> None:
    with pytest.raises(LimitExceededError) as caught:
        registry.render(
            "alerte_population",
            variables=alert_vars(consigne_courte="Restez chez vous. " + "a" * 200),
            exercise=False,
            variants=["x"],
        )
    assert caught.value.overruns == (
        "La variante x dépasse la limite de 57 caractères pondérés "
        "(337 caractères pondérés pour 280 autorisés)",
    )


def test_preview_reports_without_raising(registry: TemplateRegistry) -> None:
    preview = registry.preview(
        "alerte_population",
        variables=alert_vars(consigne_courte="Restez chez vous. " + "a" * 200),
        variants=["sms", "x"],
    )
    assert preview["template"] == "alerte_population"
    assert preview["version"] == 1
    variants = preview["variants"]
    assert isinstance(variants, list)
    sms, x = variants
    assert {k: sms[k] for k in ("channel", "length", "limit", "fits", "segments", "encoding")} == {
        "channel": "sms",
        "length": 3,
        "limit": 3,
        "fits": True,
        "segments": 3,
        "encoding": "GSM-7",
    }
    assert {k: x[k] for k in ("channel", "length", "limit", "fits")} == {
        "channel": "x",
        "length": 337,
        "limit": 280,
        "fits": False,
    }
    assert "segments" not in x


def test_channel_kind_selects_all_its_variants(registry: TemplateRegistry) -> None:
    message = registry.render(
        "alerte_population", variables=alert_vars(), exercise=False, variants=["email"]
    )
    assert [r.variant.value for r in message] == ["email_subject", "email_text", "email_html"]


def test_unknown_template_and_variant(registry: TemplateRegistry) -> None:
    with pytest.raises(UnknownTemplateError, match="« inexistant »"):
        registry.render("inexistant", variables={}, exercise=False)
    with pytest.raises(TemplateError, match="pas de variante « x »"):
        registry.render(
            "appel_cellule",
            variables=registry.get("appel_cellule").manifest.examples(),
            exercise=False,
            variants=["x"],
        )
