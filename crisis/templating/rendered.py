"""A rendered message: one text per channel variant, measured against the channel's limits,
with a French sentence for each overrun."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from channels.contract import LengthUnit
from channels.measure import Measure
from crisis.templating.limits import ChannelKind, Variant

_UNIT_WORDS: Final[Mapping[LengthUnit, tuple[str, str, bool]]] = {
    # singular, plural, feminine
    LengthUnit.SMS_SEGMENTS: ("segment", "segments", False),
    LengthUnit.X_WEIGHTED: ("caractère pondéré", "caractères pondérés", False),
    LengthUnit.UTF16: ("unité UTF-16", "unités UTF-16", True),
    LengthUnit.CHARACTERS: ("caractère", "caractères", False),
    LengthUnit.UNLIMITED: ("caractère", "caractères", False),
    LengthUnit.SPOKEN_SECONDS: ("seconde parlée", "secondes parlées", True),
}


def _count(number: int, unit: LengthUnit) -> str:
    singular, plural, _ = _UNIT_WORDS[unit]
    return f"{number} {singular if abs(number) < 2 else plural}"


def overrun_message(variant: Variant, result: Measure) -> str | None:
    """« La variante sms dépasse la limite de 1 segment (4 segments pour 3 autorisés) »."""
    if result.fits or result.limit is None:
        return None
    _, _, feminine = _UNIT_WORDS[result.unit]
    allowed = "autorisée" if feminine else "autorisé"
    if result.limit >= 2:
        allowed += "s"
    message = (
        f"La variante {variant.value} dépasse la limite de {_count(result.excess, result.unit)} "
        f"({_count(result.length, result.unit)} pour {result.limit} {allowed})"
    )
    if result.sms is not None and result.sms.non_gsm:
        shown = ", ".join(f"« {char} »" for char in result.sms.non_gsm[:5])
        message += f" ; encodage {result.sms.encoding.value} imposé par {shown}"
    return message


@dataclass(frozen=True, slots=True)
class RenderedVariant:
    variant: Variant
    text: str
    measure: Measure

    @property
    def channel(self) -> ChannelKind:
        return self.variant.channel

    @property
    def fits(self) -> bool:
        return self.measure.fits

    @property
    def overrun(self) -> str | None:
        return overrun_message(self.variant, self.measure)

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of a preview: channel, text, length, limit, fits (+ SMS details)."""
        data: dict[str, object] = {
            "channel": self.variant.value,
            "text": self.text,
            "length": self.measure.length,
            "limit": self.measure.limit,
            "fits": self.measure.fits,
            "unit": self.measure.unit.value,
            "kind": self.channel.value,
        }
        if self.measure.sms is not None:
            data["segments"] = self.measure.sms.segments
            data["encoding"] = self.measure.sms.encoding.value
            data["units"] = self.measure.sms.units
        return data


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    template: str
    version: int
    exercise: bool
    variants: tuple[RenderedVariant, ...]

    def __iter__(self) -> Iterator[RenderedVariant]:
        return iter(self.variants)

    def get(self, variant: Variant | str) -> RenderedVariant:
        wanted = Variant(variant)
        for rendered in self.variants:
            if rendered.variant is wanted:
                return rendered
        raise KeyError(wanted.value)

    def text(self, variant: Variant | str) -> str:
        return self.get(variant).text

    @property
    def fits(self) -> bool:
        return all(rendered.fits for rendered in self.variants)

    @property
    def overruns(self) -> tuple[str, ...]:
        return tuple(r.overrun for r in self.variants if r.overrun is not None)

    def as_dict(self) -> dict[str, object]:
        return {
            "template": self.template,
            "version": self.version,
            "variants": [rendered.as_dict() for rendered in self.variants],
        }
