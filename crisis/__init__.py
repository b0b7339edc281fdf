"""Crisis communication orchestration service (Qual-e-Pref, module 7)."""

__version__ = "0.1.0"
