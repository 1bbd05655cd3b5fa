"""Tests that drive a real Chromium against a real Bidean server process."""
