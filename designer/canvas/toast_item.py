"""A short message pinned to the canvas, e.g. why a connection was refused; it fades by timer.

It is drawn at the same size at any zoom and always lies wholly inside the view that shows it
(:meth:`ToastItem.keep_inside`): near the canvas's right or bottom edge it moves left or up, and
in a view narrower than the toast it wraps to the view's width."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView, QStyleOptionGraphicsItem, QWidget

from . import style

TOAST_MAX_WIDTH = 340
TOAST_PAD = 8
TOAST_OFFSET = 12  # right of and below the point it is about
VIEW_MARGIN = 8  # between the toast and the view's edge, in pixels


class ToastItem(QGraphicsItem):
    def __init__(self, text: str, at: QPointF) -> None:
        super().__init__()
        self.text = text
        self._font = QFont()
        self._font.setPointSizeF(8.5)
        self._rect = QRectF()
        self._wrap(TOAST_MAX_WIDTH)
        self.setPos(at + QPointF(TOAST_OFFSET, TOAST_OFFSET))
        self.setZValue(style.Z_TOAST)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def _wrap(self, width: float) -> None:
        fm = QFontMetricsF(self._font)
        bound = fm.boundingRect(QRectF(0, 0, max(40.0, width), 1000), Qt.TextFlag.TextWordWrap, self.text)
        self.prepareGeometryChange()
        self._rect = QRectF(0, 0, bound.width() + 2 * TOAST_PAD, bound.height() + 2 * TOAST_PAD)

    def size_px(self) -> QRectF:
        """The toast's rectangle in pixels (it ignores the view's zoom)."""
        return QRectF(self._rect)

    def keep_inside(self, view: QGraphicsView) -> None:
        """Move (and if need be wrap) the toast so it lies wholly inside ``view``'s viewport."""
        port = view.viewport().rect()
        room = port.width() - 2 * VIEW_MARGIN
        if self._rect.width() > room:
            self._wrap(room - 2 * TOAST_PAD)
        top_left = view.mapFromScene(self.pos())
        x = min(max(top_left.x(), VIEW_MARGIN), port.width() - VIEW_MARGIN - self._rect.width())
        y = min(max(top_left.y(), VIEW_MARGIN), port.height() - VIEW_MARGIN - self._rect.height())
        self.setPos(view.mapToScene(int(max(VIEW_MARGIN, x)), int(max(VIEW_MARGIN, y))))

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
