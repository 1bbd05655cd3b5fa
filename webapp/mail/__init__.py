"""Outgoing email: composed in the recipient's language and recorded in the outbox in the
transaction of the change it tells about (``messages``), handed to SMTP or written as an
``.eml`` file (``transport``) by the mail worker (``worker``), which runs as
``bidean mail worker`` or as a thread of ``bidean serve``.  Features register the kinds
of message they send and keep those messages' templates; the shared layout is here."""
