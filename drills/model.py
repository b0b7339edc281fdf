"""Scenario files: a master scenario events list, validated with the file, line and field of
every mistake, before anything runs."""

from __future__ import annotations

import re
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from crisis.domain.vocabulary import Audience, CrisisKind
from crisis.french import os_reason
from crisis.validation import field_path, french_reason

_OFFSET = re.compile(r"^\+(\d{1,3}):([0-5]\d)$")


def parse_offset(value: Any) -> timedelta:
    """`+01:25` → 85 minutes from the start of the drill."""
    if isinstance(value, timedelta):
        return value
    match = _OFFSET.match(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"décalage « {value} » invalide : format attendu +HH:MM, ex. +00:25")
    return timedelta(hours=int(match.group(1)), minutes=int(match.group(2)))


Offset = Annotated[timedelta, BeforeValidator(parse_offset)]


CallAnswer = Literal["1", "2", "sans touche", "occupé", "pas de réponse", "refusé"]


def _answers(value: Any) -> Any:
    """`call_answers: 1` or `[occupé, 1]`: one answer per call attempt, the last repeated."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(item) if isinstance(item, int) else item for item in items]


CallAnswers = Annotated[
    list[CallAnswer],
    BeforeValidator(_answers),
    Field(
        default_factory=list,
        description="Réponses simulées aux appels téléphoniques de l'exercice, une par essai "
        "(la dernière se répète) : « 1 », « 2 », « sans touche », « occupé », « pas de "
        "réponse », « refusé » ; sans elles, l'appel est décroché sans touche (message laissé).",
    ),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Participant(Strict):
    role: str = Field(min_length=1, description="cadre_permanence, prefet, chef_de_cellule, …")
    name: str = Field(min_length=1)
    email: str | None = None
    mobile: str | None = None
    telegram_chat_id: str | None = None
    call_answers: CallAnswers


class Inject(Strict):
    at: Offset
    sender: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    channel: str = Field(min_length=1, description="telephone, email, telegram, sms, radio…")
    content: str = Field(min_length=1)
    expected_action: str | None = None
    target: Offset | None = None
    contingency: bool = Field(
        default=False, description="Inject de secours : joué seulement si `when` est vrai."
    )
    when: str | None = Field(default=None, description="ex. « clock media running »")

    @model_validator(mode="after")
    def _target_after_inject(self) -> Inject:
        if self.target is not None and self.target < self.at:
            raise ValueError("la cible (target) précède l'inject lui-même")
        if self.contingency and not self.when:
            raise ValueError("un inject de secours doit dire quand il est joué (when)")
        return self


ActionKind = Literal[
    "activate_cod",
    "send_message",  # free text; held for the préfet's approval when the audience needs it
    "compose",  # a message from a template, submitted for approval
    "approve",  # the préfet approves the oldest message waiting, and it is sent
    "acknowledge",  # a cell member (`by`) acknowledges the page of the callout
    "declare_cell_operational",
    "record_delivery",
    "activate_cip",  # the préfet orders the CIP with its numéro unique
    "cip_operational",
    "close",
]


class Action(Strict):
    """A simulated player action, for unattended runs."""

    at: Offset
    do: ActionKind
    by: str = Field(default="joueur", min_length=1)
    audiences: list[Audience] = Field(default_factory=list)
    texts: dict[str, str] = Field(default_factory=dict)
    template: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    channels: list[str] | None = None
    means: str | None = None
    reason: str | None = None
    synergi: str | None = None
    numero_unique: str | None = None
    simulated: bool = Field(
        default=False,
        description="Joué aussi en direct : une action d'un rôle que personne ne tient.",
    )

    @model_validator(mode="after")
    def _fields_of_each_action(self) -> Action:
        if self.do in ("send_message", "compose") and not self.audiences:
            raise ValueError(f"{self.do} : indiquez les publics (audiences)")
        if self.do == "send_message" and not self.texts.get("default"):
            raise ValueError("send_message : indiquez le texte (texts.default)")
        if self.do == "compose" and not self.template:
            raise ValueError("compose : indiquez le modèle (template)")
        if self.do == "record_delivery" and (len(self.audiences) != 1 or not self.means):
            raise ValueError("record_delivery : un public (audiences) et le moyen (means)")
        if self.do == "activate_cip" and not self.numero_unique:
            raise ValueError("activate_cip : indiquez le numéro unique (numero_unique)")
        if self.do == "close" and not self.reason:
            raise ValueError("close : indiquez le motif (reason)")
        return self


class Fault(Strict):
    """A simulated fault: a channel down, or answering 429 in a burst."""

    channel: str = Field(min_length=1)
    start: Offset = Field(alias="from")
    end: Offset = Field(alias="to")
    mode: Literal["down", "rate_limit"] = "down"

    @model_validator(mode="after")
    def _ordered(self) -> Fault:
        if self.end <= self.start:
            raise ValueError("la fin de la panne (to) doit suivre son début (from)")
        return self


class AudienceMember(Strict):
    name: str = Field(min_length=1)
    category: Literal["elu", "media"]
    email: str | None = None
    mobile: str | None = None
    telegram_chat_id: str | None = None
    commune: str | None = None
    call_answers: CallAnswers


class Scenario(Strict):
    title: str = Field(min_length=1, max_length=200)
    kind: CrisisKind
    communes: list[str] = Field(default_factory=list)
    objectives: list[str] = Field(min_length=1)
    commitments: list[Literal[47, 48, 49, 50]] = Field(min_length=1)
    duration: Offset
    participants: list[Participant] = Field(min_length=1)
    audience: list[AudienceMember] = Field(
        default_factory=list, description="Élus et médias joués (tous participent à l'exercice)."
    )
    injects: list[Inject] = Field(min_length=1)
    actions: list[Action] = Field(default_factory=list)
    faults: list[Fault] = Field(default_factory=list)

    @field_validator("injects", "actions")
    @classmethod
    def _sorted_by_time(cls, items: list[Any]) -> list[Any]:
        return sorted(items, key=lambda item: item.at)

    @model_validator(mode="after")
    def _within_duration(self) -> Scenario:
        for name, items in (("injects", self.injects), ("actions", self.actions)):
            for item in items:
                if item.at > self.duration:
                    raise ValueError(
                        f"{name} : un élément à +{item.at} dépasse la durée du scénario"
                    )
        if self.actions and self.actions[0].do != "activate_cod":
            raise ValueError("actions : la première action jouée doit être activate_cod")
        return self


class ScenarioError(Exception):
    """A scenario that cannot run, with each problem located in its file."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(problems))


def _lines(node: yaml.Node, path: tuple[Any, ...], found: dict[tuple[Any, ...], int]) -> None:
    found[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found[(*path, key.value)] = key.start_mark.line + 1
            _lines(value, (*path, key.value), found)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), found)


def load_scenario(path: Path) -> Scenario:
    try:
        source = path.read_text("utf-8")
    except OSError as error:
        raise ScenarioError(path, [f"{path} : fichier illisible ({os_reason(error)})"]) from None
    except UnicodeDecodeError:
        raise ScenarioError(path, [f"{path} : fichier illisible (texte UTF-8 attendu)"]) from None
    return load_scenario_text(source, path)


def load_scenario_text(source: str, path: Path) -> Scenario:
    """A scenario from its YAML text; `path` names it in each problem (a file's name for one
    uploaded to the console, kept in the database)."""
    try:
        node = yaml.compose(source)
        data = yaml.safe_load(source)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f", ligne {mark.line + 1}" if mark is not None else ""
        raise ScenarioError(
            path, [f"{path}{line} : YAML invalide ({getattr(error, 'problem', error)})"]
        ) from None
    if not isinstance(data, dict) or node is None:
        raise ScenarioError(path, [f"{path}, ligne 1 : un scénario est un dictionnaire YAML"])
    lines: dict[tuple[Any, ...], int] = {}
    _lines(node, (), lines)
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = tuple(
                p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-"))
            )
            line_number = next(
                (lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), 1
            )
            field = field_path(loc) or "(racine)"
            problems.append(f"{path}, ligne {line_number}, champ {field} : {french_reason(item)}")
        raise ScenarioError(path, problems) from None


def bundled_scenarios() -> dict[str, Path]:
    """The scenarios shipped with the service, by name (`crue-seine`)."""
    folder = resources.files("drills") / "scenarios"
    return {
        Path(str(item)).stem: Path(str(item))
        for item in folder.iterdir()
        if str(item).endswith(".yaml")
    }
