"""Drills: scenario model and runner, bundled scenarios, report rendering."""
