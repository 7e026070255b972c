"""The window's editing gestures: add (centre, quick-add), select, delete, cut/copy/paste,
duplicate, arrange, and the canvas's context menu — each one command on the document.

A mixin of :class:`~designer.main_window.MainWindow`: it uses the window's ``document``,
``scene``, ``view``, ``quick_add`` and editing actions, and keeps the editing ideas apart from the
widget wiring (as :mod:`designer.file_actions` does for files). While the document is locked the
commands it pushes are refused there, with a message.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QMenu

from engine.document.blocks import BLOCKS, GROUPS

from . import clipboard
from .canvas import style
from .commands import MoveNodes, RemoveItems
from .icons import block_icon


class EditActions:
    """Editing gestures for :class:`~designer.main_window.MainWindow`."""

    def add_block_at_center(self, kind: str) -> str | None:
        return self.scene.add_block(kind, self.view.visible_center())

    def open_quick_add(self, scene_pos=None) -> None:  # noqa: ANN001
        self._quick_add_pos = scene_pos if scene_pos is not None else self.view.cursor_scene_pos()
        global_pos = self.view.viewport().mapToGlobal(self.view.mapFromScene(self._quick_add_pos))
        self.quick_add.open_at(global_pos)

    def _quick_add_chosen(self, kind: str) -> None:
        pos = self._quick_add_pos if self._quick_add_pos is not None else self.view.visible_center()
        self.scene.add_block(kind, pos)
        self.view.setFocus()

    def select_node(self, node_id: str) -> None:
        """Select one node (a problems-list click) and bring it into view."""
        if node_id in self.scene.nodes:
            self.scene.select_nodes([node_id])
            self.view.center_on_node(node_id)

    def select_all(self) -> None:
        for item in self.scene.nodes.values():
            item.setSelected(True)
        for item in self.scene.edges.values():
            item.setSelected(True)

    def delete_selection(self) -> None:
        nodes, edges = self.scene.selected_node_ids(), self.scene.selected_edges()
        if nodes or edges:
            self.document.push(RemoveItems(self.document, nodes, edges))

    def copy(self) -> bool:
        return clipboard.copy_to_clipboard(self.document.design, self.scene.selected_node_ids())

    def cut(self) -> None:
        nodes = self.scene.selected_node_ids()
        if clipboard.copy_to_clipboard(self.document.design, nodes):
            self.document.push(RemoveItems(self.document, nodes, text=f"Cut {len(nodes)} block{'s' * (len(nodes) != 1)}"))

    def paste(self) -> list[str]:
        ids = clipboard.paste_from_clipboard(self.document)
        if ids:
            self.scene.select_nodes(ids)
        return ids

    def duplicate(self) -> list[str]:
        nodes = self.scene.selected_node_ids()
        if not nodes:
            return []
        payload = clipboard.selection_payload(self.document.design, nodes)
        command = clipboard.paste_command(self.document, payload, text="Duplicate")
        if command is None:
            return []
        self.document.push(command)
        self.scene.select_nodes(command.node_ids)
        return command.node_ids

    def arrange(self) -> bool:
        """Lay blocks out in columns by how far data has flowed (one undoable Move command)."""
        design = self.document.design
        if not design.nodes:
            return False
        depth: dict[str, int] = {}

        def level(node_id: str) -> int:
            if node_id not in depth:
                depth[node_id] = 0  # the design is acyclic; this only guards recursion
                depth[node_id] = max((level(e.source) + 1 for e in design.incoming(node_id)), default=0)
            return depth[node_id]

        for node_id in design.nodes:
            level(node_id)
        x0 = min(n.position[0] for n in design.nodes.values())
        y0 = min(n.position[1] for n in design.nodes.values())
        columns: dict[int, list[str]] = {}
        for node_id in sorted(design.nodes, key=lambda n: (design.nodes[n].position[1], design.nodes[n].position[0])):
            columns.setdefault(depth[node_id], []).append(node_id)
        moves = {}
        for col, ids in columns.items():
            for row, node_id in enumerate(ids):
                new = (style.snap(x0 + col * style.LAYOUT_DX), style.snap(y0 + row * style.LAYOUT_DY))
                if new != design.nodes[node_id].position:
                    moves[node_id] = (design.nodes[node_id].position, new)
        if not moves:
            return False
        command = MoveNodes(self.document, moves)
        command.setText("Arrange blocks")
        self.document.push(command)
        self.view.fit_all()
        return True

    def _canvas_menu(self, pos: QPoint) -> None:
        scene_pos = self.view.mapToScene(pos)
        item = self.view.itemAt(pos)
        menu = QMenu(self)
        if item is not None and (self.scene.selected_node_ids() or self.scene.selected_edges()):
            if not item.isSelected():
                while item.parentItem() is not None:
                    item = item.parentItem()
                self.scene.clearSelection()
                item.setSelected(True)
            for a in (self.actionCut, self.actionCopy, self.actionDuplicate, self.actionDelete):
                menu.addAction(a)
            self.scene.add_cell_menu(menu)  # a recurrent block: Change Cell ▸
        else:
            add = menu.addMenu("Add Block")
            for group in GROUPS:
                add.addSection(group)
                for spec in BLOCKS.values():
                    if spec.group == group:
                        act = add.addAction(block_icon(spec.kind), spec.title)
                        act.triggered.connect(lambda _c=False, k=spec.kind: self.scene.add_block(k, scene_pos))
            menu.addAction(self.actionPaste)
            menu.addSeparator()
            menu.addAction(self.actionSelectAll)
            menu.addAction(self.actionArrange)
            menu.addAction(self.actionFit)
        menu.exec(self.view.viewport().mapToGlobal(pos))
