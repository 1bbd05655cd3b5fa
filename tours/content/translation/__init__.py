"""Translations of a tour's texts: completeness per language (``translations``) and
translation CSV files, written and read back (``translation_csv``).  Pure functions over
documents; storing the result is a workflow's job."""
