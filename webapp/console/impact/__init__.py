"""The impact report for coordinators (``/console/impact``): figures, charts, CSV, the year page."""
