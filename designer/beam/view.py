"""The view of the beam-search tree: zoom (wheel, +/−, 0), pan (drag anywhere), fit (F), and a
click on a node to force decoding from it. Right/Left arrows step and go back."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QRectF, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QKeyEvent, QMouseEvent, QPainter, QResizeEvent
from PySide6.QtWidgets import QGraphicsView, QWidget

from ..zoomable_view import ZoomableView
from . import style
from .scene import BeamTreeScene
from .tree_items import BeamNodeItem

CLICK_SLOP = 5  # pixels the mouse may move between press and release and still be a click
FOLLOW_MARGIN = (70, 40)
EMPTY_HINT = ("No model to search with yet.\n"
              "Train the design in the Training panel, or use “Load checkpoint…” above;\n"
              "then pick a source and press Step (F10).")


class BeamTreeView(ZoomableView):
    node_clicked = Signal(int)  # engine node id
    node_menu_requested = Signal(int, QPoint)  # node id, global position
    step_requested = Signal()
    back_requested = Signal()
    zoom_min, zoom_max, zoom_step = style.ZOOM_MIN, style.ZOOM_MAX, style.ZOOM_STEP

    def __init__(self, scene: BeamTreeScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setObjectName("beamTree")
        self.setAccessibleName("Beam search tree")
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.hint = EMPTY_HINT
        self._press: QPoint | None = None
        self._fitted = False  # the last zoom was "fit": keep fitting when the view is resized
        self.zoom_changed.connect(scene.set_zoom)  # the scene places its zoom-proof labels for it

    @property
    def tree_scene(self) -> BeamTreeScene:
        return self.scene()  # type: ignore[return-value]

    # ------------------------------------------------------------------ zoom and fit
    def _user_zoomed(self) -> None:
        self._fitted = False

    def fit_zoom(self) -> float:
        """The zoom at which the whole tree fits the view."""
        rect, port = self.tree_scene.sceneRect(), self.viewport().rect()
        return min(port.width() / max(rect.width(), 1.0), port.height() / max(rect.height(), 1.0), style.FIT_MAX)

    def fit_all(self) -> None:
        """The whole tree in view, never magnified past 100%."""
        rect = self.tree_scene.sceneRect()
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom > style.FIT_MAX:
            self.set_zoom(style.FIT_MAX)
        elif self.zoom < style.ZOOM_MIN:
            self.set_zoom(style.ZOOM_MIN)
        self.centerOn(rect.center())
        self._fitted = True
        self.zoom_changed.emit(self.zoom)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fitted:
            self.fit_all()

    @property
    def fitted(self) -> bool:
        """Whether the view is in "fit" mode (until the user zooms)."""
        return self._fitted

    def follow_beam(self) -> None:
        """Keep the current beam (or, once done, the n-best) in view: scroll, and zoom out when it
        does not fit (never below :data:`style.FOLLOW_ZOOM_MIN`, never in) — or, in fit mode,
        fit the grown tree."""
        if self._fitted:
            if self.fit_zoom() >= min(self.zoom, style.FIT_FOLLOW_MIN) - 1e-9:
                self.fit_all()
                return
            self._fitted = False  # fitting the grown tree would shrink it past readable: scroll instead
            self._scroll_to_frontier()
            return
        rect = self.tree_scene.beam_rect()
        if rect.isNull():
            return
        want = rect.adjusted(-FOLLOW_MARGIN[0], -FOLLOW_MARGIN[1], FOLLOW_MARGIN[0], FOLLOW_MARGIN[1])
        port = self.viewport().rect()
        need = min(port.width() / max(want.width(), 1.0), port.height() / max(want.height(), 1.0))
        if need < self.zoom and self.zoom > style.FOLLOW_ZOOM_MIN:
            self.set_zoom(max(need, style.FOLLOW_ZOOM_MIN))
        visible = self.mapToScene(port).boundingRect()
        if visible.contains(rect):
            return
        if visible.width() >= want.width() and visible.height() >= want.height():
            self.ensureVisible(rect, *FOLLOW_MARGIN)
        else:
            self._scroll_to_frontier()

    def _scroll_to_frontier(self) -> None:
        """The beam is taller than the view: keep its best hypothesis in view, the newest column
        near the right edge (each step then scrolls the tree one column left)."""
        rect = self.tree_scene.frontier_rect()
        if not rect.isNull():
            self.ensureVisible(rect, *FOLLOW_MARGIN)

    def center_on_node(self, node_id: int) -> None:
        item = self.tree_scene.nodes.get(node_id)
        if item is not None:
            self.centerOn(item)

    # ------------------------------------------------------------------ clicks
    def node_at(self, pos: QPoint) -> BeamNodeItem | None:
        for item in self.items(pos):
            if isinstance(item, BeamNodeItem):
                return item
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._press = event.position().toPoint() if event.button() == Qt.MouseButton.LeftButton else None
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        super().mouseReleaseEvent(event)
        press, self._press = self._press, None
        if press is None or event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position().toPoint()
        if (pos - press).manhattanLength() <= CLICK_SLOP:
            item = self.node_at(pos)
            if item is not None:
                self.node_clicked.emit(item.node_id)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        item = self.node_at(event.pos())
        if item is not None:
            self.node_menu_requested.emit(item.node_id, event.globalPos())
            event.accept()
            return
        super().contextMenuEvent(event)

    # ------------------------------------------------------------------ keys
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key, mods = event.key(), event.modifiers()
        plain = not (mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier))
        actions = {
            Qt.Key.Key_Right: self.step_requested.emit,
            Qt.Key.Key_Left: self.back_requested.emit,
            Qt.Key.Key_Plus: self.zoom_in,
            Qt.Key.Key_Equal: self.zoom_in,
            Qt.Key.Key_Minus: self.zoom_out,
            Qt.Key.Key_0: self.reset_zoom,
            Qt.Key.Key_F: self.fit_all,
        }
        if plain and key in actions:
            actions[key]()
            event.accept()
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------ an empty tree says what to do
    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        super().drawForeground(painter, rect)
        if self.tree_scene.nodes or not self.hint:
            return
        painter.save()
        painter.resetTransform()
        font = painter.font()
        font.setPointSizeF(11)
        painter.setFont(font)
        painter.setPen(style.HEADER_TEXT)
        painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, self.hint)
        painter.restore()
