"""Booking a walk: the form, confirmation, manage and waiting-list pages, the sessions JSON
API, the rate limits of booking writes and API reads, and what a booking sends (its
messages and calendar files)."""
