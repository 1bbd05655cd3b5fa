"""Application actions: what the console, the command line and the APIs all do.

Each action is a plain typed function that takes the database session of ONE
transaction and the :class:`guides.audit.Actor` who asks, makes the change, and writes
its audit record in that same transaction (none when nothing changed).  The front doors
(console views, ``bidean`` commands, the JSON APIs) open the transaction, call the
action and turn its result or error into a page, a line or a JSON answer; no front door
writes an audit record of its own.
"""
