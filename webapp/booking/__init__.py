"""Booking a walk: the form, confirmation, manage and waiting-list pages, the sessions JSON
API, and what a booking sends (mail composition and calendar files)."""
