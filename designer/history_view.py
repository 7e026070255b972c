"""The History dock: the undo stack's steps, with the undone ones (Redo brings them back) shown
greyed and in italics, so done and undone entries read differently at a glance."""
from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QColor, QFont, QPalette, QUndoStack
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QUndoView, QWidget

UNDONE_COLOR = QColor("#8a9099")
UNDONE_TIP = "Undone — Redo (or a click here) brings it back"


def is_undone(stack: QUndoStack, row: int) -> bool:
    """Row 0 is the opened design; row ``i`` the state after command ``i - 1``: past the stack's index, undone."""
    return row > stack.index()


class _HistoryDelegate(QStyledItemDelegate):
    def __init__(self, stack: QUndoStack, parent: QWidget) -> None:
        super().__init__(parent)
        self.stack = stack

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        if is_undone(self.stack, index.row()):
            font = QFont(option.font)
            font.setItalic(True)
            option.font = font
            for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
                option.palette.setColor(group, QPalette.ColorRole.Text, UNDONE_COLOR)


class HistoryView(QUndoView):
    """A :class:`QUndoView` whose undone entries are greyed, italic and say so in their tooltip."""

    def __init__(self, stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(stack, parent)
        self.setObjectName("history")
        self.setEmptyLabel("Opened design")
        self.setItemDelegate(_HistoryDelegate(stack, self))
        self.setMouseTracking(True)
        stack.indexChanged.connect(self._index_changed)  # a method: the connection ends with the view

    def _index_changed(self, _index: int) -> None:
        self.viewport().update()

    def entry_style(self, row: int) -> tuple[bool, QColor]:
        """(italic, text colour) row ``row`` is drawn with."""
        option = QStyleOptionViewItem()
        option.initFrom(self)
        self.itemDelegate().initStyleOption(option, self.model().index(row, 0))
        return option.font.italic(), option.palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Text)

    def viewportEvent(self, event) -> bool:  # noqa: N802, ANN001 - undone entries explain themselves
        from PySide6.QtCore import QEvent
        from PySide6.QtWidgets import QToolTip

        if event.type() == QEvent.Type.ToolTip:
            index = self.indexAt(event.pos())
            if index.isValid() and is_undone(self.stack(), index.row()):
                QToolTip.showText(event.globalPos(), UNDONE_TIP, self)
                return True
            QToolTip.hideText()
            return True
        return super().viewportEvent(event)
