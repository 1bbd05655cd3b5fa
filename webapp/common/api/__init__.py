"""What the JSON APIs share: the OpenAPI registry each API module adds its paths to
(``openapi``) and keyset pagination of their lists (``pagination``)."""
