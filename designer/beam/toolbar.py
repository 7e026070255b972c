"""The row over the beam tree and the lines under it: the search actions (Step, Back, Run to End,
Reset), the view's (Fit, −, +, Beam only and how many steps of rejected branches it keeps),
Export, and the model's one-line header; under the row, the note that the design has changed
since the model was trained.

The header gives way (it is elided, its whole text in the tooltip) and the note has a line of
its own, so the toolbar always has the room for all its buttons: nothing is pushed behind a »
overflow menu at the window's default size.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QSizePolicy, QSpinBox, QToolBar, QToolButton, QVBoxLayout, QWidget

STALE_TEXT = "⚠ the design has changed since this model was trained; the tree shows the trained model"
STALE_STYLE = "color: #f0b44c;"
DEFAULT_KEEP_STEPS = 1  # "Beam only" keeps the rejected branches of the last step
MAX_KEEP_STEPS = 50


def make_action(owner: QWidget, name: str, text: str, slot: Callable[[], Any], shortcut: str | None,
                tip: str) -> QAction:
    """An action of ``owner`` named ``name`` whose tooltip and status tip say its shortcut."""
    action = QAction(text, owner)
    action.setObjectName(name)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
        tip = f"{tip} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})"
    action.setToolTip(tip)
    action.setStatusTip(tip)
    action.triggered.connect(lambda _checked=False: slot())
    owner.addAction(action)
    return action


class ElidedLabel(QLabel):
    """A one-line label that shrinks to nothing rather than push its neighbours: the text is
    elided to the room it gets, and the whole of it is the tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def full_text(self) -> str:
        return self._full

    def set_full_text(self, text: str, tip: str = "") -> None:
        self._full = text
        self.setToolTip(f"{text}\n{tip}" if tip else text)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, max(10, self.width())))


class BeamHeader(QWidget):
    """The toolbar row (``bar``, ``export_button``, ``model_label``) and the stale-model note."""

    def __init__(self, search_actions: Iterable[QAction], view_actions: Iterable[QAction], beam_only: QAction,
                 export_actions: Iterable[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        bar = QToolBar("Beam search", self)
        bar.setObjectName("beamToolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in search_actions:
            bar.addAction(action)
        bar.addSeparator()
        for action in view_actions:
            bar.addAction(action)
        bar.addSeparator()
        bar.addAction(beam_only)
        self.keep_steps = QSpinBox(self)
        self.keep_steps.setObjectName("beamOnlySteps")
        self.keep_steps.setRange(0, MAX_KEEP_STEPS)
        self.keep_steps.setValue(DEFAULT_KEEP_STEPS)
        self.keep_steps.setPrefix("last ")
        self.keep_steps.setKeyboardTracking(False)
        self.keep_steps.setToolTip("Beam only: rejected branches pruned within this many steps stay in the tree; "
                                   "older ones are hidden (0: only the lines still searched and the finished ones)")
        self.keep_steps.valueChanged.connect(self._suffix)
        self._suffix(self.keep_steps.value())
        bar.addWidget(self.keep_steps)
        bar.addSeparator()
        export = QToolButton(self)
        export.setObjectName("beamExport")
        export.setText("Export")
        export.setToolTip("Export the tree as PNG, SVG, the engine's JSON or Graphviz DOT")
        export.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(export)
        for action in export_actions:
            menu.addAction(action)
        export.setMenu(menu)
        bar.addWidget(export)
        self.bar, self.export_button = bar, export
        self.model_label = ElidedLabel(self)
        self.model_label.setObjectName("beamModelInfo")
        self.stale_label = QLabel(STALE_TEXT, self)
        self.stale_label.setObjectName("beamStale")
        self.stale_label.setStyleSheet(STALE_STYLE)
        self.stale_label.setWordWrap(True)
        self.stale_label.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(bar)
        row.addSpacing(8)
        row.addWidget(self.model_label, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self.stale_label)

    def _suffix(self, value: int) -> None:
        self.keep_steps.setSuffix(" step" if value == 1 else " steps")

    def overflowing(self) -> bool:
        """Whether the toolbar hides some of its buttons behind its » extension."""
        ext = self.bar.findChild(QToolButton, "qt_toolbar_ext_button")
        return ext is not None and ext.isVisible()
