"""The notice pinned across the top of the canvas while the design is locked (a run trains on it)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QWidget

BANNER_MARGIN = 10
BANNER_MAX_WIDTH = 640
BANNER_MIN_WIDTH = 120
BANNER_STYLE = ("QLabel#canvasLockBanner { background: rgba(40, 44, 54, 230); color: #ffe2a8;"
                " border: 1px solid #ffb347; border-radius: 6px; padding: 6px 12px; }")


class LockBanner(QLabel):
    """A notice across the top of ``viewport`` that follows its size; mouse events pass through."""

    def __init__(self, viewport: QWidget) -> None:
        super().__init__(viewport)
        self.setObjectName("canvasLockBanner")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(BANNER_STYLE)
        viewport.installEventFilter(self)
        self.hide()

    def show_text(self, text: str) -> None:
        self.setText(text)
        self._place()
        self.show()
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def _place(self) -> None:
        parent = self.parentWidget()
        width = min(parent.width() - 2 * BANNER_MARGIN, BANNER_MAX_WIDTH)
        self.setFixedWidth(max(BANNER_MIN_WIDTH, width))
        self.adjustSize()
        self.move((parent.width() - self.width()) // 2, BANNER_MARGIN)
