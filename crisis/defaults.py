"""Default values shared by the settings, the templates and the command line's options.

Light to import: `crisis templates render --help` shows them without loading the templates.
"""

from __future__ import annotations

from typing import Final

EXERCISE_MARKER: Final = "EXERCICE EXERCICE EXERCICE"
SMS_MAX_SEGMENTS: Final = 3
