"""The Qt binding we install must not leak references to None (PySide6 6.12.0 on Python 3.11 did:
every void Qt call dropped one, and a long session aborted with "Fatal Python error: none_dealloc")."""
from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel


def test_void_qt_calls_keep_none_alive(qapp) -> None:
    label = QLabel()
    before = sys.getrefcount(None)
    for _ in range(1000):
        label.setText("gate")
        label.setEnabled(True)
    assert sys.getrefcount(None) >= before - 10  # a few come and go; a leak would lose 2,000
