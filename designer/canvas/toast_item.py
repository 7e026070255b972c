"""A short message pinned to the canvas, e.g. why a connection was refused; it fades by timer."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from . import style

TOAST_MAX_WIDTH = 340
TOAST_PAD = 8


class ToastItem(QGraphicsItem):
    def __init__(self, text: str, at: QPointF) -> None:
        super().__init__()
        self.text = text
        self._font = QFont()
        self._font.setPointSizeF(8.5)
        fm = QFontMetricsF(self._font)
        bound = fm.boundingRect(QRectF(0, 0, TOAST_MAX_WIDTH, 1000), Qt.TextFlag.TextWordWrap, text)
        self._rect = QRectF(0, 0, bound.width() + 2 * TOAST_PAD, bound.height() + 2 * TOAST_PAD)
        self.setPos(at + QPointF(12, 12))
        self.setZValue(style.Z_TOAST)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(style.ERROR, 1.2))
        painter.setBrush(style.TOAST_BG)
        painter.drawRoundedRect(self._rect, 6, 6)
        painter.setFont(self._font)
        painter.setPen(style.TOAST_TEXT)
        painter.drawText(self._rect.adjusted(TOAST_PAD, TOAST_PAD, -TOAST_PAD, -TOAST_PAD),
                         Qt.TextFlag.TextWordWrap, self.text)
