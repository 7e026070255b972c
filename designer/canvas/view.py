"""The canvas view: zoom with the wheel, pan with the middle button (or Space + drag), rubber-band
selection, fit-to-view, drops from the palette and of design files, Tab for quick-add.

It follows the document's editable state: while the design is locked a banner across the top
says why, and an edit refused meanwhile is noted on the canvas where the user is looking."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent, QMouseEvent, QPainter
from PySide6.QtWidgets import QGraphicsView, QWidget

from engine.document.design import FILE_SUFFIX

from ..mime import BLOCK_MIME
from ..zoomable_view import ZoomableView
from . import style
from .lock_banner import LockBanner
from .scene import DesignScene

FIT_MARGIN = 60
EMPTY_HINT = ("Drag blocks here from the palette, or press Tab to search.\n"
              "Then drag from an output port (right) to an input port (left).\n"
              "File ▸ New from Template starts from a working design.")


class CanvasView(ZoomableView):
    files_dropped = Signal(list)  # local paths of dropped design files
    quick_add_requested = Signal(QPointF)  # scene position where Tab was pressed
    zoom_min, zoom_max, zoom_step = style.ZOOM_MIN, style.ZOOM_MAX, style.ZOOM_STEP

    def __init__(self, scene: DesignScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setObjectName("canvas")
        self.setAccessibleName("Canvas")
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from: QPointF | None = None
        self._space = False
        self.lock_banner = LockBanner(self.viewport())
        document = scene.document
        document.editable_changed.connect(self._on_editable_changed)
        document.edit_refused.connect(self._on_edit_refused)
        self._on_editable_changed(document.editable)

    @property
    def design_scene(self) -> DesignScene:
        return self.scene()  # type: ignore[return-value]

    # ------------------------------------------------------------------ the document's lock
    def _on_editable_changed(self, editable: bool) -> None:
        if editable:
            self.lock_banner.hide()
        else:
            self.lock_banner.show_text(self.design_scene.document.lock_reason)

    def _on_edit_refused(self, message: str) -> None:
        self.design_scene.show_toast(message, self.visible_center())

    # ------------------------------------------------------------------ zoom
    def fit_all(self) -> None:
        """Show every node (or the origin when the design is empty), never magnified past 100%."""
        scene = self.design_scene
        rect = QRectF()
        for item in scene.nodes.values():
            rect = rect.united(item.sceneBoundingRect())
        if rect.isNull():
            self.resetTransform()
            self.centerOn(0, 0)
            self.zoom_changed.emit(self.zoom)
            return
        rect = rect.adjusted(-FIT_MARGIN, -FIT_MARGIN, FIT_MARGIN, FIT_MARGIN)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom > 1.0:
            self.resetTransform()
            self.centerOn(rect.center())
        elif self.zoom < style.ZOOM_MIN:
            self.set_zoom(style.ZOOM_MIN)
            self.centerOn(rect.center())
        self.zoom_changed.emit(self.zoom)

    def center_on_node(self, node_id: str) -> None:
        item = self.design_scene.nodes.get(node_id)
        if item is not None:
            self.ensureVisible(item.sceneBoundingRect(), 80, 80)

    # ------------------------------------------------------------------ pan
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton or (self._space and event.button() == Qt.MouseButton.LeftButton):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # ------------------------------------------------------------------ keys
    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 - Tab opens quick-add here
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Tab:
            self.quick_add_requested.emit(self.cursor_scene_pos())
            event.accept()
            return
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def cursor_scene_pos(self) -> QPointF:
        """The scene point under the mouse, or the centre of the view when the mouse is elsewhere."""
        local = self.viewport().mapFromGlobal(self.cursor().pos())
        if self.viewport().rect().contains(local):
            return self.mapToScene(local)
        return self.mapToScene(self.viewport().rect().center())

    def visible_center(self) -> QPointF:
        return self.mapToScene(self.viewport().rect().center())

    # ------------------------------------------------------------------ empty canvas hint
    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        super().drawForeground(painter, rect)
        if self.design_scene.nodes:
            return
        painter.save()
        painter.resetTransform()
        font = painter.font()
        font.setPointSizeF(12)
        painter.setFont(font)
        painter.setPen(style.NODE_DIM_TEXT)
        painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, EMPTY_HINT)
        painter.restore()

    # ------------------------------------------------------------------ drops
    def _accepts(self, event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> bool:
        mime = event.mimeData()
        if mime.hasFormat(BLOCK_MIME):
            return True
        return mime.hasUrls() and any(u.toLocalFile().endswith(FILE_SUFFIX) for u in mime.urls())

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._accepts(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if self._accepts(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        mime = event.mimeData()
        if mime.hasFormat(BLOCK_MIME):
            kind = bytes(mime.data(BLOCK_MIME).data()).decode("utf-8")
            self.design_scene.add_block(kind, self.mapToScene(event.position().toPoint()))
            self.setFocus()
            event.acceptProposedAction()
            return
        paths = [u.toLocalFile() for u in mime.urls() if u.toLocalFile().endswith(FILE_SUFFIX)]
        if paths:
            event.acceptProposedAction()
            self.files_dropped.emit(paths)
            return
        event.ignore()
