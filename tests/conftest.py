"""Shared test setup: every Qt test runs offscreen, with no real screen needed."""
import os

# before any Qt import anywhere in the suite
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
