"""Images and recordings served by Bidean itself: the store of re-encoded images
(``store``: what ``bidean media add`` and the importers put in), the store of residents'
recordings, kept as sent once sniffed and measured (``audio``, with the container readers
mutagen lacks in ``containers``), and the ``media`` blueprint that serves both, with how a
page shows an image (``views``).  Imports no other blueprint."""
