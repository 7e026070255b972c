"""The design's lock during a run: no structural edit reaches it, and the canvas says so.

While a run trains on a copy of the design, the blocks, wires and parameters of the open one must
stay as they are, or the weights would no longer fit it. :class:`EditLock` disables what edits
them (palette, inspector, history, the editing actions, undo and redo) and, as a backstop, guards
``DesignDocument.push``: a structural command pushed anyway (a wire dragged on the canvas, a block
added from its context menu) is refused with a note on the canvas. Moving blocks and renaming the
design stay allowed — they do not change the model. :class:`CanvasBanner` is the notice pinned
to the top of the canvas.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QWidget

from ..commands import MoveNodes, SetMetadata, SetName

HARMLESS = (MoveNodes, SetName, SetMetadata)  # edits that do not change the model
BANNER_MARGIN = 10
LOCKED_NOTE = "Training is running: stop it to change blocks, wires or parameters."


class CanvasBanner(QLabel):
    """A notice across the top of the canvas viewport that follows its size."""

    def __init__(self, viewport: QWidget) -> None:
        super().__init__(viewport)
        self.setObjectName("trainingLockBanner")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet("QLabel#trainingLockBanner { background: rgba(40, 44, 54, 230); color: #ffe2a8;"
                           " border: 1px solid #ffb347; border-radius: 6px; padding: 6px 12px; }")
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
        width = min(parent.width() - 2 * BANNER_MARGIN, 640)
        self.setFixedWidth(max(120, width))
        self.adjustSize()
        self.move((parent.width() - self.width()) // 2, BANNER_MARGIN)


class EditLock(QObject):
    """Engage with :meth:`engage` when a run starts and :meth:`release` when it ends."""

    def __init__(self, document: Any, scene: Any, view: Any, widgets: list[QWidget], actions: list[QAction],
                 undo_stack: Any = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("editLock")
        self.document, self.scene, self.view = document, scene, view
        self.widgets = widgets
        self.locked_actions = actions
        self.banner = CanvasBanner(view.viewport())
        self.locked = False
        self.refusals = 0
        self._enabled: dict[int, bool] = {}
        self._push: Callable[[Any], None] = document.push
        document.push = self._guarded_push  # the one door every command goes through
        if undo_stack is not None:  # the stack re-enables undo/redo as it changes: keep them off
            undo_stack.canUndoChanged.connect(self._keep_disabled)
            undo_stack.canRedoChanged.connect(self._keep_disabled)

    def engage(self, text: str) -> None:
        if not self.locked:
            self.locked = True
            self._enabled = {id(w): w.isEnabled() for w in self.widgets + self.locked_actions}
            for w in self.widgets + self.locked_actions:
                w.setEnabled(False)
        self.banner.show_text(text)

    def release(self) -> None:
        if not self.locked:
            return
        self.locked = False
        for w in self.widgets + self.locked_actions:
            w.setEnabled(self._enabled.get(id(w), True))
        stack = self.document.undo_stack
        for action in self.locked_actions:  # what the undo stack says now, not what it said at the start
            name = action.objectName()
            if name in ("actionUndo", "toolUndo"):
                action.setEnabled(stack.canUndo())
            elif name in ("actionRedo", "toolRedo"):
                action.setEnabled(stack.canRedo())
        self.banner.hide()

    def _keep_disabled(self, _can: bool = False) -> None:
        if self.locked:
            for action in self.locked_actions:
                action.setEnabled(False)

    def _guarded_push(self, command: Any) -> None:
        if self.locked and not isinstance(command, HARMLESS):
            self.refusals += 1
            self.scene.show_toast(f"Not changed: {LOCKED_NOTE}", self.view.visible_center())
            return
        self._push(command)

    def detach(self) -> None:
        """Give the document its own push back (the window is closing)."""
        if self.document.push == self._guarded_push:
            self.document.push = self._push
