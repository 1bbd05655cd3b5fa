"""A teller withdrawing their story through their personal link (``/share/withdraw/<token>``)."""
