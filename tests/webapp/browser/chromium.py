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


def launch_with_microphone(browser, chromium_path: Path, recording: Path, ui: str = ""):
    """Another Chromium from the session's Playwright whose fake microphone plays
    ``recording`` (a WAV), its permission prompt answered at once (``ui="deny"`` refuses)."""
    fake_ui = "--use-fake-ui-for-media-stream" + (f"={ui}" if ui else "")
    return browser.browser_type.launch(
        executable_path=str(chromium_path),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            fake_ui,
            f"--use-file-for-fake-audio-capture={recording}",
        ],
        headless=True,
    )
