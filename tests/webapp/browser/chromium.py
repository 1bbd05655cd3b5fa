"""How this project drives a browser: Debian's Chromium, never a downloaded one.

The browser tests and ``bench/page_bench.py`` both launch it with these flags; without
the background-networking ones Chromium keeps calling hosts this machine cannot reach.
"""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
