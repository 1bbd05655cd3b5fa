"""The booking desk of the console: find a booking, take one by phone, move, resize or
cancel it, and a walk's waiting list (``views``; forms in ``forms``, view models in
``pages``)."""
