"""Outgoing email: composed in the recipient's language, recorded in the outbox in the
transaction of the change it tells about and sent over SMTP or written as an ``.eml``
file (``messages``) by the mail worker (``worker``), which runs as ``bidean mail worker``
or as a thread of ``bidean serve``.  Features register the kinds of message they send and
keep those messages' templates; the shared layout is here."""
