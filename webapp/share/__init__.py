"""Residents propose a place or a story: the public form at ``/share``."""
