"""The console's messages to a walk's group: the form, its errors and the walk's log."""
