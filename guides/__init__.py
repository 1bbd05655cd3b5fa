"""Guide profiles, languages, stop scripts and assignment rules (no Flask here)."""
