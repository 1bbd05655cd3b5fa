"""The accounts pages: create an account with its emails' language, a new set-password
link, disable after a confirmation, enable again (``pages``)."""
