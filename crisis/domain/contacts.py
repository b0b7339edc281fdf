"""Recipients of crisis messages: élus, media, cell members, partners.

A contact's stable key (normalised e-mail, else E.164 mobile, else Telegram chat id, else
category + normalised name + commune) is what a re-import matches on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from crisis.domain.errors import InvalidInput
from crisis.domain.vocabulary import Audience

DEFAULT_REGION = "FR"
MAX_NAME_LENGTH = 200
MAX_COMMUNE_LENGTH = 120
MAX_FONCTION_LENGTH = 200
MAX_LIST_NAME_LENGTH = 200


class Category(StrEnum):
    ELU = "elu"
    MEDIA = "media"
    CELLULE = "cellule"
    PARTENAIRE = "partenaire"


CATEGORY_LABELS: dict[Category, str] = {
    Category.ELU: "élu",
    Category.MEDIA: "média",
    Category.CELLULE: "cellule de communication",
    Category.PARTENAIRE: "partenaire",
}

# Which category an audience reaches. The public is reached through broadcast channels
# (feeds, CAP, social networks), never through contacts: it maps to no category.
AUDIENCE_CATEGORIES: dict[Audience, frozenset[Category]] = {
    Audience.ELUS: frozenset({Category.ELU}),
    Audience.MEDIA: frozenset({Category.MEDIA}),
    Audience.PUBLIC: frozenset(),
}

_TRUE_WORDS = frozenset({"oui", "o", "vrai", "1", "x", "true", "yes"})
_FALSE_WORDS = frozenset({"non", "n", "faux", "0", "", "false", "no"})
_TELEGRAM_ID = re.compile(r"-?[0-9]{1,20}")
_PHONE_NOISE = re.compile(r"[\s.\-/()\u00a0\u202f]")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a contact: the field, a French reason, and its line in a file."""

    field: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        return self.reason if self.line is None else f"ligne {self.line} : {self.reason}"


class InvalidContacts(InvalidInput):
    """Several problems at once: answered with 422, every one listed."""

    def __init__(self, problems: list[Problem], summary: str | None = None) -> None:
        first = problems[0]
        super().__init__(first.field, summary or "; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class ContactData:
    """A validated contact, before it is stored."""

    name: str
    category: Category
    email: str | None = None
    mobile: str | None = None  # E.164
    telegram_chat_id: str | None = None
    commune: str | None = None
    fonction: str | None = None
    exercise: bool = False
    active: bool = True  # an inactive contact receives nothing

    @property
    def key(self) -> str:
        return contact_key(self)


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    key: str
    name: str
    category: Category
    email: str | None
    mobile: str | None
    telegram_chat_id: str | None
    commune: str | None
    fonction: str | None
    exercise: bool
    active: bool
    created_at: datetime
    updated_at: datetime

    def data(self) -> ContactData:
        return ContactData(
            name=self.name,
            category=self.category,
            email=self.email,
            mobile=self.mobile,
            telegram_chat_id=self.telegram_chat_id,
            commune=self.commune,
            fonction=self.fonction,
            exercise=self.exercise,
            active=self.active,
        )


@dataclass(frozen=True, slots=True)
class ContactList:
    id: str
    name: str
    description: str
    created_at: datetime
    created_by: str


def fold(text: str) -> str:
    """Case, accents and spacing removed: « Évry-Courcouronnes » → « evry-courcouronnes »."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(without_marks.split())


def contact_key(data: ContactData) -> str:
    if data.email:
        return f"email:{data.email.casefold()}"
    if data.mobile:
        return f"mobile:{data.mobile}"
    if data.telegram_chat_id:
        return f"telegram:{data.telegram_chat_id}"
    return f"nom:{data.category.value}|{fold(data.name)}|{fold(data.commune or '')}"


def describe_key(key: str) -> str:
    """A key as people read it, for error messages."""
    kind, _, value = key.partition(":")
    labels = {"email": "e-mail", "mobile": "mobile", "telegram": "Telegram", "nom": "nom"}
    if kind == "nom":
        category, name, commune = value.split("|")
        where = f", {commune}" if commune else ""
        return f"nom {name} ({category}{where})"
    return f"{labels.get(kind, kind)} {value}"


def normalise_mobile(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """The E.164 form of a mobile number typed the French way; ValueError if it is not one."""
    compact = _PHONE_NOISE.sub("", raw)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    # Excel reads « 0612345678 » as a number and drops the leading zero.
    if region == "FR" and re.fullmatch(r"[67][0-9]{8}", compact):
        compact = "0" + compact
    if not re.fullmatch(r"\+?[0-9]{4,17}", compact):
        raise ValueError("pas un numéro de téléphone")
    import phonenumbers  # 0.05 s, paid by the commands that check a number only

    try:
        number = phonenumbers.parse(compact, region)
    except phonenumbers.NumberParseException:
        raise ValueError("pas un numéro de téléphone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("numéro inexistant")
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValueError("pas un numéro de mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("adresse invalide") from None


def parse_yes_no(raw: str) -> bool:
    word = fold(raw).strip()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValueError(raw)


_CATEGORY_WORDS: dict[str, Category] = {
    "elu": Category.ELU,
    "elus": Category.ELU,
    "media": Category.MEDIA,
    "medias": Category.MEDIA,
    "cellule": Category.CELLULE,
    "partenaire": Category.PARTENAIRE,
    "partenaires": Category.PARTENAIRE,
}


def parse_category(raw: str) -> Category:
    try:
        return _CATEGORY_WORDS[fold(raw)]
    except KeyError:
        raise ValueError(raw) from None


def _optional(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def validate_contact(
    raw: Mapping[str, str | None],
    *,
    line: int | None = None,
    region: str = DEFAULT_REGION,
    default_exercise: bool = False,
) -> ContactData | list[Problem]:
    """Check one contact given as text (a CSV row, a JSON body): the data, or every problem.

    Expected keys: nom, categorie, email, mobile, telegram, commune, fonction, exercice,
    actif; a missing key counts as empty, except `exercice` which then takes
    `default_exercise` and `actif` which then means active (as does an empty `actif` cell).
    """
    problems: list[Problem] = []

    def problem(field: str, reason: str) -> None:
        problems.append(Problem(field=field, reason=reason, line=line))

    name = _optional(raw.get("nom"))
    if name is None:
        problem("nom", "nom obligatoire")
    elif len(name) > MAX_NAME_LENGTH:
        problem("nom", f"nom trop long ({MAX_NAME_LENGTH} caractères au plus)")

    category: Category | None = None
    category_text = _optional(raw.get("categorie"))
    if category_text is None:
        problem("categorie", "catégorie obligatoire")
    else:
        try:
            category = parse_category(category_text)
        except ValueError:
            known = ", ".join(c.value for c in Category)
            problem(
                "categorie",
                f"catégorie « {category_text} » inconnue (valeurs possibles : {known})",
            )

    email: str | None = None
    email_text = _optional(raw.get("email"))
    if email_text is not None:
        try:
            email = normalise_email(email_text)
        except ValueError:
            problem("email", f"e-mail « {email_text} » invalide")

    mobile: str | None = None
    mobile_text = _optional(raw.get("mobile"))
    if mobile_text is not None:
        try:
            mobile = normalise_mobile(mobile_text, region=region)
        except ValueError as error:
            detail = " : ce n'est pas un numéro de mobile" if "mobile" in str(error) else ""
            problem("mobile", f"mobile « {mobile_text} » invalide{detail}")

    telegram: str | None = None
    telegram_text = _optional(raw.get("telegram"))
    if telegram_text is not None:
        if _TELEGRAM_ID.fullmatch(telegram_text):
            telegram = str(int(telegram_text))
        else:
            problem(
                "telegram",
                f"identifiant Telegram « {telegram_text} » invalide (nombre attendu)",
            )

    commune = _optional(raw.get("commune"))
    if commune is not None and len(commune) > MAX_COMMUNE_LENGTH:
        problem("commune", f"commune trop longue ({MAX_COMMUNE_LENGTH} caractères au plus)")
    fonction = _optional(raw.get("fonction"))
    if fonction is not None and len(fonction) > MAX_FONCTION_LENGTH:
        problem("fonction", f"fonction trop longue ({MAX_FONCTION_LENGTH} caractères au plus)")

    exercise = default_exercise
    exercise_text = raw.get("exercice")
    if exercise_text is not None:
        try:
            exercise = parse_yes_no(exercise_text)
        except ValueError:
            problem(
                "exercice",
                f"exercice « {exercise_text.strip()} » invalide (oui ou non attendu)",
            )

    active = True
    active_text = raw.get("actif")
    if active_text is not None and active_text.strip():
        try:
            active = parse_yes_no(active_text)
        except ValueError:
            problem("actif", f"actif « {active_text.strip()} » invalide (oui ou non attendu)")

    if problems:
        return problems
    assert name is not None
    assert category is not None
    return ContactData(
        name=name,
        category=category,
        email=email,
        mobile=mobile,
        telegram_chat_id=telegram,
        commune=commune,
        fonction=fonction,
        exercise=exercise,
        active=active,
    )


def checked_contact(raw: Mapping[str, str | None]) -> ContactData:
    """`validate_contact`, raising `InvalidContacts` with every problem."""
    result = validate_contact(raw)
    if isinstance(result, list):
        raise InvalidContacts(result)
    return result


def check_list_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("name", "Le nom de la liste est obligatoire.")
    if len(cleaned) > MAX_LIST_NAME_LENGTH:
        raise InvalidInput(
            "name", f"Le nom de la liste ne doit pas dépasser {MAX_LIST_NAME_LENGTH} caractères."
        )
    return cleaned
