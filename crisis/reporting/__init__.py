"""Timing reports of a crisis or a drill, computed from the journal alone."""
