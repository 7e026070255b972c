"""The wire drawn while the user drags from a port, before it becomes an edge (or is refused)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from . import style
from .edge_item import wire_path
from .port_item import PortItem


class WireItem(QGraphicsPathItem):
    def __init__(self, start: PortItem) -> None:
        super().__init__()
        self.start = start
        self.setZValue(style.Z_WIRE)
        self._color = start.color
        self.set_state(None)
        self.set_end(start.anchor())

    def set_end(self, end: QPointF) -> None:
        a = self.start.anchor()
        self.setPath(wire_path(a, end) if self.start.is_output else wire_path(end, a))

    def set_state(self, ok: bool | None) -> None:
        """None: over nothing; True: would connect; False: would be refused."""
        color = QColor(self._color) if ok is None else (style.OK if ok else style.ERROR)
        self.setPen(QPen(color, style.EDGE_WIDTH, Qt.PenStyle.DashLine if ok is None else Qt.PenStyle.SolidLine,
                         Qt.PenCapStyle.RoundCap))
