"""Shared setup for the channel integration tests."""

from __future__ import annotations

import os

# python-telegram-bot 22 warns (PTBDeprecationWarning, an error under filterwarnings=error)
# when it builds a RetryAfter unless the timedelta behaviour is opted into; the channel
# handles both int and timedelta values.
os.environ.setdefault("PTB_TIMEDELTA", "true")
