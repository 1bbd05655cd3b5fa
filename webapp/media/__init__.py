"""Images served by Bidean itself: the store of re-encoded copies (``store``: what
``bidean media add`` and the importers put in) and the ``media`` blueprint that serves
them, with how a page shows one (``views``).  Imports no other blueprint."""
