"""Reading the CSV a préfecture exports from Excel: formats, encodings, errors with line numbers."""

from __future__ import annotations

import codecs
import hashlib

import pytest

from crisis.contacts.csv_import import parse_contacts_csv
from crisis.domain.contacts import Category, contact_key, normalise_mobile, validate_contact

HEADER = "nom;categorie;email;mobile;telegram;commune"


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.mark.parametrize(
    "typed",
    [
        "06 12 34 56 78",
        "06.12.34.56.78",
        "+33 6 12 34 56 78",
        "0033612345678",
        "612345678",
        "0612345678",
        "06-12-34-56-78",
        "+33 (0)6 12 34 56 78",
    ],
)
def test_french_mobiles_as_people_type_them(typed: str) -> None:
    assert normalise_mobile(typed) == "+33612345678"


def test_mobile_starting_with_7_and_excel_eaten_zero() -> None:
    assert normalise_mobile("756123456") == "+33756123456"
    assert normalise_mobile("07 56 12 34 56") == "+33756123456"


def test_foreign_mobile_is_kept_in_e164() -> None:
    assert normalise_mobile("+32 470 12 34 56") == "+32470123456"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("06 12", "mobile « 06 12 » invalide"),
        ("01 23 45 67 89", "mobile « 01 23 45 67 89 » invalide : ce n'est pas un numéro de mobile"),
        ("bientôt", "mobile « bientôt » invalide"),
        # Nine digits starting with 5: Excel's eaten zero of a landline (05…), not a mobile.
        ("512345678", "mobile « 512345678 » invalide : ce n'est pas un numéro de mobile"),
        ("06 12 34 56 78 90", "mobile « 06 12 34 56 78 90 » invalide"),
    ],
)
def test_bad_mobiles_are_refused_with_a_french_reason(typed: str, reason: str) -> None:
    result = validate_contact({"nom": "A", "categorie": "elu", "mobile": typed}, line=4)
    assert isinstance(result, list)
    assert [str(p) for p in result] == [f"ligne 4 : {reason}"]
    assert result[0].field == "mobile"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("oui", True),
        ("OUI", True),
        ("vrai", True),
        ("1", True),
        ("x", True),
        ("X", True),
        ("non", False),
        ("faux", False),
        ("0", False),
        ("", False),
        ("  ", False),
    ],
)
def test_exercise_flag_words(typed: str, expected: bool) -> None:
    result = validate_contact({"nom": "A", "categorie": "media", "exercice": typed})
    assert not isinstance(result, list)
    assert result.exercise is expected


def test_exercise_flag_unknown_word() -> None:
    result = validate_contact({"nom": "A", "categorie": "media", "exercice": "peut-être"})
    assert isinstance(result, list)
    assert [p.reason for p in result] == ["exercice « peut-être » invalide (oui ou non attendu)"]


def test_key_prefers_email_then_mobile_then_telegram_then_name() -> None:
    def key(**fields: str) -> str:
        result = validate_contact({"nom": "Élise  Durand", "categorie": "Élu", **fields})
        assert not isinstance(result, list)
        return contact_key(result)

    assert key(email="Elise.Durand@Mairie.FR", mobile="0612345678") == (
        "email:elise.durand@mairie.fr"
    )
    assert key(mobile="06 12 34 56 78", telegram="42") == "mobile:+33612345678"
    assert key(telegram="-100123") == "telegram:-100123"
    assert key(commune="Évry-Courcouronnes") == "nom:elu|elise durand|evry-courcouronnes"


def test_utf8_file_with_semicolons() -> None:
    parsed = parse_contacts_csv(
        csv_bytes(
            HEADER + ";fonction;exercice",
            "Jean Dupont;elu;jean.dupont@evry.fr;06 12 34 56 78;123456;Évry-Courcouronnes;"
            "Maire-adjoint;oui",
        )
    )
    assert parsed.problems == []
    assert parsed.delimiter == ";"
    assert parsed.encoding == "utf-8"
    [row] = parsed.rows
    assert row.line == 2
    data = row.data
    assert data.name == "Jean Dupont"
    assert data.category is Category.ELU
    assert data.email == "jean.dupont@evry.fr"
    assert data.mobile == "+33612345678"
    assert data.telegram_chat_id == "123456"
    assert data.commune == "Évry-Courcouronnes"
    assert data.fonction == "Maire-adjoint"
    assert data.exercise is True


def test_utf8_bom_and_commas() -> None:
    content = codecs.BOM_UTF8 + csv_bytes(
        "nom,categorie,email,mobile,telegram,commune",
        'Le Parisien,média,redaction@leparisien.fr,"06 12 34 56 78",,Paris',
    )
    parsed = parse_contacts_csv(content)
    assert parsed.problems == []
    assert parsed.delimiter == ","
    assert parsed.encoding == "utf-8-sig"
    [row] = parsed.rows
    assert row.data.name == "Le Parisien"
    assert row.data.category is Category.MEDIA
    assert row.data.commune == "Paris"


def test_windows_1252_with_accents() -> None:
    content = csv_bytes(
        "Nom;Catégorie;E-mail;Mobile;Telegram;Commune;Fonction;Exercice",
        "Hélène Lefèvre;élu;;0612345678;;Évry-Courcouronnes;Maire-adjoint;x",
        encoding="cp1252",
    )
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    parsed = parse_contacts_csv(content)
    assert parsed.problems == []
    assert parsed.encoding == "cp1252"
    [row] = parsed.rows
    assert row.data.name == "Hélène Lefèvre"
    assert row.data.commune == "Évry-Courcouronnes"
    assert row.data.fonction == "Maire-adjoint"
    assert row.data.exercise is True


def test_header_names_ignore_case_accents_and_spaces() -> None:
    parsed = parse_contacts_csv(
        csv_bytes(
            " NOM ; Catégorie ;EMAIL; Mobile ;TÉLÉGRAM; commune ;Fonction ; Exercice", "A;elu;;;;;;"
        )
    )
    assert parsed.problems == []
    assert parsed.columns == (
        "nom",
        "categorie",
        "email",
        "mobile",
        "telegram",
        "commune",
        "fonction",
        "exercice",
    )


def test_errors_carry_their_line_number_and_every_one_is_listed() -> None:
    parsed = parse_contacts_csv(
        csv_bytes(
            HEADER,
            "A;elu;a@x.fr;;;",
            ";elu;b@x.fr;;;",
            "",
            "C;elu;c@x.fr;;;",
            "D;pompier;d@x.fr;;;",
            "E;media;e@x.fr;06 12;;",
            "F;media;pas-un-mail;;abc;",
        )
    )
    assert [str(p) for p in parsed.problems] == [
        "ligne 3 : nom obligatoire",
        "ligne 6 : catégorie « pompier » inconnue "
        "(valeurs possibles : elu, media, cellule, partenaire)",
        "ligne 7 : mobile « 06 12 » invalide",
        "ligne 8 : e-mail « pas-un-mail » invalide",
        "ligne 8 : identifiant Telegram « abc » invalide (nombre attendu)",
    ]
    assert [r.line for r in parsed.rows] == [2, 5]
    assert parsed.invalid_lines == [3, 6, 7, 8]
    assert not parsed.fatal


def test_line_numbers_count_multiline_quoted_cells() -> None:
    parsed = parse_contacts_csv(
        csv_bytes(HEADER + ";fonction", 'A;elu;a@x.fr;;;;"Maire\nadjoint"', "B;elu;;06 12;;;")
    )
    assert [str(p) for p in parsed.problems] == ["ligne 4 : mobile « 06 12 » invalide"]
    assert parsed.rows[0].data.fonction == "Maire adjoint"


def test_duplicate_keys_name_both_lines() -> None:
    parsed = parse_contacts_csv(
        csv_bytes(
            HEADER,
            "A;elu;Jean@X.fr;;;",
            "B;elu;b@x.fr;;;",
            "A bis;media;jean@x.fr;;;",
        )
    )
    assert [str(p) for p in parsed.problems] == [
        "ligne 4 : même contact que la ligne 2 (e-mail jean@x.fr)"
    ]
    assert [r.line for r in parsed.rows] == [2, 3]


def test_duplicate_by_mobile_typed_differently() -> None:
    parsed = parse_contacts_csv(csv_bytes(HEADER, "A;elu;;06 12 34 56 78;;", "B;elu;;612345678;;"))
    assert [str(p) for p in parsed.problems] == [
        "ligne 3 : même contact que la ligne 2 (mobile +33612345678)"
    ]


def test_missing_required_column() -> None:
    parsed = parse_contacts_csv(csv_bytes("nom;categorie;email;commune", "A;elu;a@x.fr;Évry"))
    assert parsed.fatal
    assert [str(p) for p in parsed.problems] == [
        "colonnes obligatoires absentes : mobile, telegram "
        "(en-tête attendu : nom;categorie;email;mobile;telegram;commune)"
    ]
    assert parsed.rows == []


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n", codecs.BOM_UTF8, b"  "])
def test_empty_file(content: bytes) -> None:
    parsed = parse_contacts_csv(content)
    assert parsed.fatal
    assert [str(p) for p in parsed.problems] == ["le fichier est vide"]


def test_header_only() -> None:
    parsed = parse_contacts_csv(csv_bytes(HEADER, ";;;;;"))
    assert [str(p) for p in parsed.problems] == ["le fichier ne contient aucun contact"]
    assert parsed.fatal


def test_unknown_columns_are_ignored_and_reported() -> None:
    parsed = parse_contacts_csv(csv_bytes(HEADER + ";Remarques", "A;elu;a@x.fr;;;;rappeler"))
    assert parsed.problems == []
    assert parsed.ignored_columns == ("Remarques",)


def test_short_rows_are_padded() -> None:
    parsed = parse_contacts_csv(csv_bytes(HEADER, "A;partenaire;a@x.fr"))
    assert parsed.problems == []
    assert parsed.rows[0].data.category is Category.PARTENAIRE
    assert parsed.rows[0].data.commune is None


def test_sha256_of_the_exact_bytes() -> None:
    content = csv_bytes(HEADER, "A;elu;a@x.fr;;;")
    assert parse_contacts_csv(content).sha256 == hashlib.sha256(content).hexdigest()
