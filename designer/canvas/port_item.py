"""A port: the round handle on a node's side where wires start and end."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from engine.document.blocks import PortSpec

from . import style


class PortItem(QGraphicsItem):
    """Child of a :class:`NodeItem`. Dragging starts in the scene (see ``DesignScene``)."""

    def __init__(self, parent: QGraphicsItem, node_id: str, spec: PortSpec, is_output: bool) -> None:
        super().__init__(parent)
        self.node_id = node_id
        self.spec = spec
        self.is_output = is_output
        self._hover = False
        self._problem = False
        self._highlight: QColor | None = None  # green/red while a wire hovers over it
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        kinds = " or ".join(spec.accepts)
        direction = "gives" if is_output else "takes"
        tip = f"<b>{spec.name}</b> — {direction} {kinds}"
        if spec.help:
            tip += f"<br>{spec.help}"
        if spec.optional and not is_output:
            tip += "<br><i>optional</i>"
        self.setToolTip(tip)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def color(self) -> QColor:
        return style.port_color(self.spec.accepts)

    def anchor(self) -> QPointF:
        """Where wires attach, in scene coordinates."""
        return self.scenePos()

    def set_problem(self, on: bool) -> None:
        if on != self._problem:
            self._problem = on
            self.update()

    def set_highlight(self, color: QColor | None) -> None:
        if color != self._highlight:
            self._highlight = color
            self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        r = style.PORT_HOVER_RADIUS + 3
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self):  # noqa: ANN201 - Qt API
        from PySide6.QtGui import QPainterPath

        path = QPainterPath()
        r = style.PORT_HOVER_RADIUS + 2
        path.addEllipse(QPointF(0, 0), r, r)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = style.PORT_HOVER_RADIUS if (self._hover or self._highlight is not None) else style.PORT_RADIUS
        if self._highlight is not None:
            painter.setPen(QPen(self._highlight, 3))
        elif self._problem:
            painter.setPen(QPen(style.ERROR, 2.5))
        else:
            painter.setPen(QPen(style.NODE_OUTLINE_COLOR, 1.5))
        painter.setBrush(QBrush(self.color))
        painter.drawEllipse(QPointF(0, 0), r, r)
        if not self.is_output and self.spec.optional:
            painter.setBrush(QBrush(style.NODE_BODY))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(QPointF(0, 0), r * 0.4, r * 0.4)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802, ANN001
        self._hover = True
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802, ANN001
        self._hover = False
        self.update()
        super().hoverLeaveEvent(event)
