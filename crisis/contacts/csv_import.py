"""Read the contacts CSV a préfecture exports from Excel.

Header `nom;categorie;email;mobile;telegram;commune` (optional `fonction`, `exercice`, `actif`),
names insensitive to case, accents and spaces; `;` or `,` (sniffed from the header line);
UTF-8 with or without BOM, or Windows-1252. Line numbers count the header as line 1.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import unicodedata
from dataclasses import dataclass, field

from crisis.domain.contacts import ContactData, Problem, describe_key, fold, validate_contact

REQUIRED_COLUMNS = ("nom", "categorie", "email", "mobile", "telegram", "commune")
# `actif`: « non » deactivates the contact, « oui » or an empty cell makes it active; without
# the column, every contact keeps its state (and a new one is active). A contact absent from
# the file is never deactivated.
OPTIONAL_COLUMNS = ("fonction", "exercice", "actif")
# Other spellings met in real exports, after folding (no case, no accents, no spaces).
COLUMN_ALIASES: dict[str, str] = {
    "e-mail": "email",
    "mail": "email",
    "courriel": "email",
    "adressemail": "email",
    "adressee-mail": "email",
    "portable": "mobile",
    "telephoneportable": "mobile",
    "categories": "categorie",
    "idtelegram": "telegram",
    "telegramchatid": "telegram",
}


@dataclass(frozen=True, slots=True)
class ParsedRow:
    line: int
    data: ContactData


@dataclass(slots=True)
class ParsedFile:
    sha256: str
    rows: list[ParsedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    columns: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    delimiter: str = ";"
    encoding: str = "utf-8"

    @property
    def has_fonction(self) -> bool:
        return "fonction" in self.columns

    @property
    def has_exercise(self) -> bool:
        return "exercice" in self.columns

    @property
    def has_active(self) -> bool:
        return "actif" in self.columns

    @property
    def fatal(self) -> bool:
        """A problem with the file itself (no line): nothing can be imported at all."""
        return any(p.line is None for p in self.problems)

    @property
    def invalid_lines(self) -> list[int]:
        return sorted({p.line for p in self.problems if p.line is not None})


def decode(content: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with: UTF-8 (BOM or not), else Windows-1252."""
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return content.decode("cp1252"), "cp1252"


def control_character(text: str) -> str | None:
    """The first control character of a file (NUL, ESC…; tabs and line ends are fine)."""
    for char in text:
        if char not in "\t\r\n" and unicodedata.category(char) in ("Cc", "Cs"):
            return f"U+{ord(char):04X}"
    return None


def column_name(header: str) -> str:
    folded = fold(header).replace(" ", "").replace("_", "")
    return COLUMN_ALIASES.get(folded, folded)


def sniff_delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") >= header_line.count(",") else ","


def _file_problem(reason: str) -> Problem:
    return Problem(field="fichier", reason=reason)


def parse_contacts_csv(content: bytes) -> ParsedFile:
    """Every row checked: the valid rows, and every problem with its line number."""
    parsed = ParsedFile(sha256=hashlib.sha256(content).hexdigest())
    try:
        text, parsed.encoding = decode(content)
    except UnicodeDecodeError:
        parsed.problems.append(
            _file_problem("encodage illisible : enregistrez le fichier en UTF-8 ou en Windows-1252")
        )
        return parsed
    if not text.strip():
        parsed.problems.append(_file_problem("le fichier est vide"))
        return parsed
    if (refused := control_character(text)) is not None:
        parsed.problems.append(_file_problem(f"caractère de contrôle interdit ({refused})"))
        return parsed
    header_line = text.splitlines()[0]
    parsed.delimiter = sniff_delimiter(header_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=parsed.delimiter)
    header = next(reader)
    names = [column_name(h) for h in header]
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    seen: set[str] = set()
    for name in names:
        if name in known and name in seen:
            parsed.problems.append(_file_problem(f"colonne « {name} » en double dans l'en-tête"))
        seen.add(name)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        parsed.problems.append(
            _file_problem(
                f"colonne{plural} obligatoire{plural} absente{plural} : {', '.join(missing)} "
                f"(en-tête attendu : {';'.join(REQUIRED_COLUMNS)})"
            )
        )
    if parsed.problems:
        return parsed
    parsed.columns = tuple(n for n in names if n in known)
    parsed.ignored_columns = tuple(
        h.strip() for h, n in zip(header, names, strict=True) if n not in known
    )
    positions = {name: names.index(name) for name in parsed.columns}

    first_line_of: dict[str, int] = {}
    previous_end = reader.line_num
    for cells in reader:
        line = previous_end + 1
        previous_end = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # blank line, or Excel's trailing « ;;;;; »
        raw = {name: (cells[i] if i < len(cells) else "") for name, i in positions.items()}
        result = validate_contact(raw, line=line)
        if isinstance(result, list):
            parsed.problems.extend(result)
            continue
        key = result.key
        if key in first_line_of:
            parsed.problems.append(
                Problem(
                    field="cle",
                    reason=(
                        f"même contact que la ligne {first_line_of[key]} ({describe_key(key)})"
                    ),
                    line=line,
                )
            )
            continue
        first_line_of[key] = line
        parsed.rows.append(ParsedRow(line=line, data=result))
    if not parsed.rows and not parsed.problems:
        parsed.problems.append(_file_problem("le fichier ne contient aucun contact"))
    return parsed
