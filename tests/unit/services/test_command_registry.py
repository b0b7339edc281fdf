"""The table of commands declares each command once, with its handler, roles and label."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections import Counter

import crisis.domain
from crisis.domain.commands import Command
from crisis.services.registry import COMMAND_SPECS, command_handlers, command_label, may_run
from crisis.services.roles import Role


def _command_types() -> set[type[Command]]:
    for module in pkgutil.iter_modules(crisis.domain.__path__, "crisis.domain."):
        importlib.import_module(module.name)
    found: set[type[Command]] = set()
    pending = list(Command.__subclasses__())
    while pending:
        command_type = pending.pop()
        # A slotted dataclass replaces the class it decorates: keep the one its module holds.
        if getattr(sys.modules[command_type.__module__], command_type.__name__) is command_type:
            found.add(command_type)
        pending.extend(command_type.__subclasses__())
    return found


def test_every_command_is_declared_exactly_once() -> None:
    declared = Counter(spec.command for spec in COMMAND_SPECS)
    assert {name.__name__ for name, count in declared.items() if count > 1} == set()
    assert set(declared) == _command_types()


def test_every_command_has_a_handler_and_a_french_label() -> None:
    assert set(command_handlers()) == _command_types()
    for spec in COMMAND_SPECS:
        assert spec.label[0].isupper(), spec.command.__name__
        assert command_label(spec.command.__name__) == spec.label


def test_labels_are_distinct() -> None:
    labels = Counter(spec.label for spec in COMMAND_SPECS)
    assert [label for label, count in labels.items() if count > 1] == []


def test_a_command_name_gives_its_label() -> None:
    assert command_label("OpenCrisis") == "Ouverture de l'événement"
    assert command_label("ActivateCod") == "Activation du COD"
    assert command_label("ApproveDraft") == "Validation d'un message"
    assert command_label("NoSuchCommand") is None


def test_the_auditor_only_annotates_and_only_the_prefect_approves() -> None:
    written = {s.command.__name__ for s in COMMAND_SPECS if may_run(Role.AUDITOR.value, s.command)}
    assert written == {"AnnotateInstant"}
    approvers = {
        role
        for role in Role
        for spec in COMMAND_SPECS
        if spec.command.__name__ == "ApproveDraft" and may_run(role.value, spec.command)
    }
    assert approvers == {Role.PREFECT}
