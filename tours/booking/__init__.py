"""Departures and bookings: seats, waiting list, mail outbox and purge, with their tables."""
