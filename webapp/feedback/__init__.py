"""Walkers' feedback: the form a walker opens from the email sent after their walk."""
