"""Residents' contributions in the console: the moderation queue and each story's page
with a coordinator's decisions (``views``), what they show (``pages``), the workshop
entry form and the printable consent form (``entry``), and their forms (``forms``)."""
