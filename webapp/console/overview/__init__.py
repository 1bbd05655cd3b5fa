"""The console's first page and the calendar: a guide's own walks, the coordinator's
dashboard (``dashboard``) and the month and week calendar of walks (``calendar``)."""
