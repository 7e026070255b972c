"""Quick-add: Tab on the canvas opens a search box over the catalog; Enter adds the block there."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from engine.document.blocks import BLOCKS, GROUPS

from .icons import block_icon
from .palette import block_tooltip, matches

KIND_ROLE = 0x0101
POPUP_SIZE = QSize(300, 320)


class QuickAddPopup(QFrame):
    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("quickAdd")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.resize(POPUP_SIZE)
        self.search = QLineEdit(self)
        self.search.setObjectName("quickAddSearch")
        self.search.setPlaceholderText("Add block: type to search…")
        self.list = QListWidget(self)
        self.list.setObjectName("quickAddList")
        self.list.setIconSize(QSize(20, 20))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        order = {g: i for i, g in enumerate(GROUPS)}
        for spec in sorted(BLOCKS.values(), key=lambda s: order.get(s.group, 99)):
            item = QListWidgetItem(block_icon(spec.kind), f"{spec.title}   ·  {spec.group}")
            item.setData(KIND_ROLE, spec.kind)
            item.setToolTip(block_tooltip(spec))
            self.list.addItem(item)
        self.search.textChanged.connect(self.apply_filter)
        self.search.installEventFilter(self)
        self.list.itemActivated.connect(self._activate)
        self.apply_filter("")

    def open_at(self, global_pos: QPoint) -> None:
        self.search.clear()
        self.apply_filter("")
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def apply_filter(self, text: str) -> None:
        first = None
        for i in range(self.list.count()):
            item = self.list.item(i)
            hidden = not matches(BLOCKS[item.data(KIND_ROLE)], text)
            item.setHidden(hidden)
            if not hidden and first is None:
                first = item
        self.list.setCurrentItem(first)

    def visible_kinds(self) -> list[str]:
        return [self.list.item(i).data(KIND_ROLE) for i in range(self.list.count()) if not self.list.item(i).isHidden()]

    def choose_current(self) -> str | None:
        item = self.list.currentItem()
        if item is None or item.isHidden():
            return None
        kind = item.data(KIND_ROLE)
        self.hide()
        self.chosen.emit(kind)
        return kind

    def _activate(self, item: QListWidgetItem) -> None:
        self.list.setCurrentItem(item)
        self.choose_current()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if obj is self.search and event.type() == QEvent.Type.KeyPress:
            key = QKeyEvent(event).key() if not isinstance(event, QKeyEvent) else event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                visible = [i for i in range(self.list.count()) if not self.list.item(i).isHidden()]
                if visible:
                    cur = self.list.currentRow()
                    pos = visible.index(cur) if cur in visible else -1
                    pos = min(pos + 1, len(visible) - 1) if key == Qt.Key.Key_Down else max(pos - 1, 0)
                    self.list.setCurrentRow(visible[pos])
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.choose_current()
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
        return super().eventFilter(obj, event)
