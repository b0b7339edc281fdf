"""Persistence: tables, repositories, the hash-chained journal, migrations."""
