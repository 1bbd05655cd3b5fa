"""The console behind a login: the guide's phone console and the coordinator pages."""
