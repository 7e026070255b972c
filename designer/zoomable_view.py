"""A graphics view that zooms: the wheel, in/out steps, reset and limits, shared by the design
canvas and the beam-search tree. Each subclass sets its own limits and step."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QGraphicsView


class ZoomableView(QGraphicsView):
    zoom_changed = Signal(float)
    zoom_min, zoom_max, zoom_step = 0.2, 3.0, 1.15

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def _user_zoomed(self) -> None:
        """Called when the user (not a fit) changes the zoom; subclasses may leave a fit mode."""

    def set_zoom(self, factor: float) -> None:
        self._user_zoomed()
        factor = max(self.zoom_min, min(self.zoom_max, factor))
        self.scale(factor / self.zoom, factor / self.zoom)
        self.zoom_changed.emit(self.zoom)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * self.zoom_step)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / self.zoom_step)

    def reset_zoom(self) -> None:
        """100 %, keeping the centre of what is in view."""
        self._user_zoomed()
        center = self.mapToScene(self.viewport().rect().center())
        self.resetTransform()
        self.centerOn(center)
        self.zoom_changed.emit(self.zoom)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        dy = event.angleDelta().y()
        if dy == 0 or event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            super().wheelEvent(event)  # Shift+wheel scrolls
            return
        self.set_zoom(self.zoom * (self.zoom_step if dy > 0 else 1 / self.zoom_step))
        event.accept()
