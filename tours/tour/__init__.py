"""The tour itself: stops and texts, geometry in metres, the catalogue view and the store.

``PROFILE_VERSION`` lives here rather than in ``domain``: checking a file
(``bidean validate``) names the profile but never builds a :class:`~tours.tour.domain.Tour`,
and importing ``domain`` costs its dataclasses (``python bench/cli_bench.py``).
"""

#: What a tour file in Bidean's profile says in its ``profile`` member (docs/profile.md).
PROFILE_VERSION = "bidean-tour/1"
