"""The palette: every block of the engine's catalog, grouped, with icon, name and help; a filter box.

Drag a row onto the canvas to add the block there; double-click (or Enter) adds it in the middle of
the visible canvas."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from engine.document import cells
from engine.document.blocks import BLOCKS, GROUPS, BlockSpec

from .icons import block_icon
from .mime import BLOCK_MIME

KIND_ROLE = Qt.ItemDataRole.UserRole + 1


def block_tooltip(spec: BlockSpec) -> str:
    """Rich help for a block: what it does, what it takes and gives."""
    ins = ", ".join(f"{p.name} ({' or '.join(p.accepts)})" for p in spec.inputs) or "none"
    outs = ", ".join(f"{p.name} ({' or '.join(p.accepts)})" for p in spec.outputs) or "none"
    tip = f"<b>{spec.title}</b><br>{spec.help}<br><br><i>takes</i> {ins}<br><i>gives</i> {outs}"
    if spec.equations:
        tip += f"<br><br><code>{spec.equations}</code>"
    return f"<div style='max-width:380px'>{tip}</div>"


def matches(spec: BlockSpec, text: str) -> bool:
    text = text.strip().lower()
    if not text:
        return True
    words = [spec.kind, spec.title, spec.group, spec.help]
    if cells.is_cell(spec.kind):  # a cell is also found by its family ("gated") and its gates ("forget")
        cell = cells.cell(spec.kind)
        words += [cell.family, cell.abbreviation] + [g.words for g in cell.gates]
    hay = " ".join(words).lower()
    return all(word in hay for word in text.split())


class _BlockTree(QTreeWidget):
    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [BLOCK_MIME]

    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        kinds = [i.data(0, KIND_ROLE) for i in items if i.data(0, KIND_ROLE)]
        if kinds:
            mime.setData(BLOCK_MIME, kinds[0].encode("utf-8"))
            mime.setText(kinds[0])
        return mime


class PaletteWidget(QWidget):
    block_activated = Signal(str)  # the kind: add it in the middle of the canvas

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("palette")
        self.setAccessibleName("Block palette")
        self.filter = QLineEdit(self)
        self.filter.setObjectName("paletteFilter")
        self.filter.setPlaceholderText("Filter blocks…  (e.g. lstm, head, sequence)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.apply_filter)
        self.tree = _BlockTree(self)
        self.tree.setObjectName("paletteTree")
        self.tree.setHeaderHidden(True)
        self.tree.setIconSize(QSize(22, 22))
        self.tree.setIndentation(10)
        self.tree.setRootIsDecorated(False)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.itemActivated.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self.groups: dict[str, QTreeWidgetItem] = {}
        self.items: dict[str, QTreeWidgetItem] = {}
        self._populate()

    def _populate(self) -> None:
        bold = QFont(self.font())
        bold.setBold(True)
        for group in GROUPS:
            g = QTreeWidgetItem(self.tree, [group])
            g.setFont(0, bold)
            g.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.groups[group] = g
            for spec in BLOCKS.values():
                if spec.group != group:
                    continue
                item = QTreeWidgetItem(g, [spec.title])
                item.setIcon(0, block_icon(spec.kind))
                item.setToolTip(0, block_tooltip(spec))
                item.setStatusTip(0, spec.help)
                item.setData(0, KIND_ROLE, spec.kind)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
                self.items[spec.kind] = item
            g.setExpanded(True)

    def apply_filter(self, text: str) -> None:
        for _group, g in self.groups.items():
            any_shown = False
            for i in range(g.childCount()):
                child = g.child(i)
                shown = matches(BLOCKS[child.data(0, KIND_ROLE)], text)
                child.setHidden(not shown)
                any_shown |= shown
            g.setHidden(not any_shown)
            g.setExpanded(True)

    def visible_kinds(self) -> list[str]:
        return [k for k, item in self.items.items() if not item.isHidden() and not item.parent().isHidden()]

    def _activated(self, item: QTreeWidgetItem, column: int) -> None:
        kind = item.data(0, KIND_ROLE)
        if kind:
            self.block_activated.emit(kind)
