"""An edge: a curved wire from an output port to an input port, labelled with the shape it carries."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem, QWidget

from engine.document.design import Edge

from . import style
from .port_item import PortItem


def wire_path(a: QPointF, b: QPointF) -> QPainterPath:
    """The S-curve every wire follows, leaving ``a`` to the right and entering ``b`` from the left."""
    dx = max(abs(b.x() - a.x()) * style.EDGE_CURVE, style.EDGE_CURVE_MIN)
    path = QPainterPath(a)
    path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
    return path


class EdgeItem(QGraphicsPathItem):
    def __init__(self, edge: Edge, source: PortItem, target: PortItem) -> None:
        super().__init__()
        self.edge = edge
        self.source = source
        self.target = target
        self._label = ""
        self._problem: str | None = None
        self._label_font = QFont()
        self._label_font.setPointSizeF(7.5)
        self.setZValue(style.Z_EDGE)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setToolTip(str(edge))
        self.update_path()

    # ------------------------------------------------------------------ state
    @property
    def label(self) -> str:
        return self._label

    def set_label(self, text: str) -> None:
        if text != self._label:
            self.prepareGeometryChange()
            self._label = text
            self._update_tooltip()
            self.update()

    @property
    def problem(self) -> str | None:
        return self._problem

    def set_problem(self, message: str | None) -> None:
        if message != self._problem:
            self._problem = message
            self._update_tooltip()
            self.update()

    def _update_tooltip(self) -> None:
        tip = str(self.edge)
        if self._label:
            tip += f"<br>carries {self._label}"
        if self._problem:
            tip += f"<hr><span style='color:{style.ERROR.name()}'>{self._problem}</span>"
        self.setToolTip(tip)

    def update_path(self) -> None:
        self.prepareGeometryChange()
        self.setPath(wire_path(self.source.anchor(), self.target.anchor()))

    # ------------------------------------------------------------------ geometry and painting
    def shown_label(self) -> str:
        """The shape text drawn on the wire: in full where it fits between the ports, else shortened
        (the tooltip always has it in full)."""
        if not self._label:
            return ""
        fm = QFontMetricsF(self._label_font)
        a, b = self.source.anchor(), self.target.anchor()
        dx, dy = b.x() - a.x(), abs(b.y() - a.y())
        if dy > 3 * fm.height():
            return self._label
        room = dx - 2 * style.PORT_HOVER_RADIUS - 2 * style.EDGE_LABEL_PAD
        compact = self._label.replace(" ", "").replace("(B,", "(")
        for text in (self._label, compact):
            if fm.horizontalAdvance(text) <= room:
                return text
        return ""

    def _label_rect(self) -> QRectF:
        text = self.shown_label()
        if not text:
            return QRectF()
        fm = QFontMetricsF(self._label_font)
        w = fm.horizontalAdvance(text) + 2 * style.EDGE_LABEL_PAD + 2
        h = fm.height() + style.EDGE_LABEL_PAD
        mid = self.path().pointAtPercent(0.5)
        return QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return super().boundingRect().adjusted(-4, -4, 4, 4).united(self._label_rect().adjusted(-2, -2, 2, 2))

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        path = stroker.createStroke(self.path())
        if self.shown_label():
            path.addRect(self._label_rect())
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = self.source.color
        width = style.EDGE_WIDTH_SELECTED if self.isSelected() else style.EDGE_WIDTH
        pen_style = Qt.PenStyle.SolidLine
        if self._problem:
            color, pen_style = style.ERROR, Qt.PenStyle.DashLine
        if self.isSelected():
            painter.setPen(QPen(style.SELECTION, width + 3))
            painter.drawPath(self.path())
        painter.setPen(QPen(color, width, pen_style, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        text = self.shown_label()
        if text:
            r = self._label_rect()
            painter.setPen(QPen(style.ERROR if self._problem else QColor(color).darker(120), 1))
            painter.setBrush(style.EDGE_LABEL_BG)
            painter.drawRoundedRect(r, r.height() / 2, r.height() / 2)
            painter.setFont(self._label_font)
            painter.setPen(style.EDGE_LABEL_TEXT)
            painter.drawText(r, Qt.AlignmentFlag.AlignCenter, text)
