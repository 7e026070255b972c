"""The scene: a live mirror of the design document, plus the gestures that turn into commands.

Items are created, changed and removed only in :meth:`DesignScene._on_event` (design events) and
:meth:`DesignScene.rebuild` (a new document). User gestures — a palette drop, a wire between two
ports, a drag of several nodes — become one command each, pushed onto the document's undo stack;
the resulting events then update the items.

Tests drive exactly what the gestures call: :meth:`add_block` (what a palette drop calls) and
:meth:`try_connect` (what releasing a wire on a port calls). A wire dropped on an input that is
already fed replaces the old wire, as one undoable step, and says so (:attr:`DesignScene.notice`).

While the document is locked (not :attr:`DesignDocument.editable`), gestures that would change the
model are refused with the document's reason; dragging blocks around stays allowed.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPen, QTransform
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent, QMenu

from engine.document import cells
from engine.document.blocks import BLOCKS
from engine.document.design import Design, DesignEvent, Edge
from engine.model.graph import CheckReport

from ..commands import AddNode, ChangeCell, Connect, MoveNodes, ReplaceConnection, connection_plan
from ..document import DesignDocument
from ..icons import block_icon
from . import style
from .edge_item import EdgeItem
from .node_item import NodeItem
from .port_item import PortItem
from .toast_item import ToastItem
from .wire_item import WireItem

SCENE_HALF_EXTENT = 4000
TOAST_MS = 4500


class DesignScene(QGraphicsScene):
    refused = Signal(str)  # a connection was refused: the reason, in plain words
    hint = Signal(str)  # a short message for the status bar while dragging a wire
    notice = Signal(str)  # what a gesture did, for the status bar (e.g. a wire that replaced another)

    def __init__(self, document: DesignDocument, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setObjectName("designScene")
        self.document = document
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[Edge, EdgeItem] = {}
        self.snap_to_grid = True
        self.user_dragging = False
        self.last_refusal: str | None = None
        self._drag_start: dict[str, QPointF] = {}
        self._wire: WireItem | None = None
        self._wire_target: PortItem | None = None
        self._toast: ToastItem | None = None
        self._toast_timer = QTimer(self)
        self._toast_timer.setObjectName("toastTimer")
        self._toast_timer.setSingleShot(True)
        self._toast_timer.timeout.connect(self.clear_toast)
        self.setSceneRect(-SCENE_HALF_EXTENT, -SCENE_HALF_EXTENT, 2 * SCENE_HALF_EXTENT, 2 * SCENE_HALF_EXTENT)
        document.design_replaced.connect(self.rebuild)
        document.design_event.connect(self._on_event)
        document.checked.connect(self.apply_report)
        self._listening = True
        self.rebuild(document.design)
        self.apply_report(document.report)

    @property
    def design(self) -> Design:
        return self.document.design

    # ------------------------------------------------------------------ mirror of the document
    def rebuild(self, design: Design) -> None:
        self.cancel_wire()
        self.clear_toast()
        for item in list(self.edges.values()):
            self.removeItem(item)
        for item in list(self.nodes.values()):
            self.removeItem(item)
        self.edges.clear()
        self.nodes.clear()
        for node_id in design.nodes:
            self._add_node_item(node_id)
        for edge in design.edges:
            self._add_edge_item(edge)

    def _add_node_item(self, node_id: str) -> NodeItem:
        item = NodeItem(self.design.nodes[node_id])
        self.nodes[node_id] = item
        self.addItem(item)
        return item

    def _add_edge_item(self, edge: Edge) -> EdgeItem:
        src = self.nodes[edge.source].port(edge.source_port, output=True)
        dst = self.nodes[edge.target].port(edge.target_port, output=False)
        item = EdgeItem(edge, src, dst)
        self.edges[edge] = item
        self.addItem(item)
        return item

    def _on_event(self, event: DesignEvent) -> None:
        t = event.type
        if t == "node_added":
            self._add_node_item(event.node_id)
        elif t == "node_removed":
            item = self.nodes.pop(event.node_id, None)
            if item is not None:
                self.removeItem(item)
        elif t == "edge_added":
            self._add_edge_item(event.edge)
        elif t == "edge_removed":
            item = self.edges.pop(event.edge, None)
            if item is not None:
                self.removeItem(item)
        elif t == "param_changed":
            self.nodes[event.node_id].set_params(self.design.nodes[event.node_id].params)
        elif t == "kind_changed":
            self._replace_node_item(event.node_id)
        elif t == "node_moved":
            item = self.nodes[event.node_id]
            pos = QPointF(*event.new)
            if item.pos() != pos:
                item.setPos(pos)

    def _replace_node_item(self, node_id: str) -> None:
        """A block changed kind in place: a new card, its wires re-attached, the selection as it was
        (without selection signals in between: the inspector is not torn down mid-edit)."""
        old = self.nodes.pop(node_id)
        selected = old.isSelected()
        blocked = self.blockSignals(True)
        try:
            for edge in self.design.edges_of(node_id):
                item = self.edges.pop(edge, None)
                if item is not None:
                    self.removeItem(item)
            self.removeItem(old)
            item = self._add_node_item(node_id)
            for edge in self.design.edges_of(node_id):
                self._add_edge_item(edge)
            item.setSelected(selected)
        finally:
            self.blockSignals(blocked)

    def change_cell(self, node_id: str, kind: str) -> bool:
        """Make a recurrent block another cell kind (what the block's context menu calls): one
        undoable step; False when nothing changed (the same kind, or the document is locked)."""
        node = self.design.nodes.get(node_id)
        if node is None or node.kind == kind or not cells.is_cell(node.kind) or not cells.is_cell(kind):
            return False
        return self.document.push(ChangeCell(self.document, node_id, kind)) is not False

    def add_cell_menu(self, menu: QMenu) -> QMenu | None:
        """Add "Change Cell" to a block's context menu when the selection is one recurrent block:
        every registered cell by its palette title, the current one checked."""
        ids = self.selected_node_ids()
        if len(ids) != 1 or not cells.is_cell(self.design.nodes[ids[0]].kind):
            return None
        node_id, current = ids[0], self.design.nodes[ids[0]].kind
        menu.addSeparator()
        sub = menu.addMenu("Change Cell")
        sub.setObjectName("changeCellMenu")
        for spec in cells.cells():
            action = sub.addAction(block_icon(spec.kind), spec.title)
            action.setCheckable(True)
            action.setChecked(spec.kind == current)
            action.setData(spec.kind)
            action.setToolTip(spec.help)
            action.triggered.connect(lambda _checked=False, k=spec.kind: self.change_cell(node_id, k))
        return sub

    def apply_report(self, report: CheckReport) -> None:
        """Mark the nodes, ports and edges the engine's checks complain about; label edges with shapes."""
        for edge, item in self.edges.items():
            shape = report.edge_shape(edge)
            item.set_label(str(shape) if shape is not None else "")
            item.set_problem(None)
        for node_id, item in self.nodes.items():
            probs = report.problems_for(node_id)
            severity = None
            if any(p.severity == "error" for p in probs):
                severity = "error"
            elif probs:
                severity = "warning"
            item.set_problem(severity, "<br>".join(p.message for p in probs))
            item.set_param_count(report.param_counts.get(node_id))
            for port in item.inputs.values():
                port.set_problem(False)
        for p in report.problems:
            if p.edge is not None and p.edge in self.edges:
                self.edges[p.edge].set_problem(p.message)
            elif p.node_id in self.nodes and p.port and p.severity == "error":
                port = self.nodes[p.node_id].inputs.get(p.port)
                if port is not None and not self.design.incoming(p.node_id, p.port):
                    port.set_problem(True)  # an input that needs a wire

    def node_item_moved(self, item: NodeItem) -> None:
        """A node moved on screen (a drag in progress, or an event): keep its wires attached."""
        for edge in self.design.edges_of(item.node_id) if item.node_id in self.design.nodes else ():
            edge_item = self.edges.get(edge)
            if edge_item is not None:
                edge_item.update_path()

    # ------------------------------------------------------------------ what gestures call
    def add_block(self, kind: str, scene_pos: QPointF, params: dict | None = None) -> str | None:
        """Add a block of ``kind`` centred under ``scene_pos`` (what a palette drop calls); returns its
        id, or None when the document is locked (the document says why)."""
        if kind not in BLOCKS:
            raise KeyError(f"unknown block kind {kind!r}")
        x = scene_pos.x() - style.NODE_WIDTH / 2
        y = scene_pos.y() - style.NODE_HEADER / 2
        if self.snap_to_grid:
            x, y = style.snap(x), style.snap(y)
        command = AddNode(self.document, kind, (x, y), params)
        if not self.document.push(command):
            return None
        self.select_nodes([command.node_id])
        return command.node_id

    def connection_plan(self, edge: Edge) -> tuple[Edge | None, str | None]:
        """What releasing a wire as ``edge`` would do: (the wire it replaces, or None; why it cannot, or None)."""
        if not self.document.editable:
            return None, self.document.lock_reason
        return connection_plan(self.design, edge)

    def try_connect(self, source: str, source_port: str, target: str, target_port: str,
                    at: QPointF | None = None) -> str | None:
        """Connect two ports (what releasing a wire calls). Returns None when connected, or the reason
        it was refused — which is also shown on the canvas and emitted as :attr:`refused`. An input
        already fed gets the new wire instead of the old one, as one undoable step."""
        edge = Edge(source, source_port, target, target_port)
        replaced, reason = self.connection_plan(edge)
        if reason:
            self.refuse(reason, at)
            return reason
        self.last_refusal = None
        if replaced is None:
            self.document.push(Connect(self.document, edge))
            return None
        if self.document.push(ReplaceConnection(self.document, replaced, edge)):
            self.notice.emit(f"Replaced {replaced} with {edge} (Undo puts the old wire back)")
        return None

    def refuse(self, reason: str, at: QPointF | None = None) -> None:
        self.last_refusal = reason
        if at is None:
            at = self.itemsBoundingRect().center()
        self.show_toast(f"Not connected: {reason}", at)
        self.refused.emit(reason)

    # ------------------------------------------------------------------ selection
    def selected_node_ids(self) -> list[str]:
        """The selected nodes, in the document's order."""
        return [n for n, item in self.nodes.items() if item.isSelected()]

    def selected_edges(self) -> list[Edge]:
        return [e for e, item in self.edges.items() if item.isSelected()]

    def select_nodes(self, node_ids: list[str]) -> None:
        self.clearSelection()
        for node_id in node_ids:
            if node_id in self.nodes:
                self.nodes[node_id].setSelected(True)

    # ------------------------------------------------------------------ toast
    def show_toast(self, text: str, at: QPointF) -> None:
        self.clear_toast()
        self._toast = ToastItem(text, at)
        self.addItem(self._toast)
        for view in self.views():  # the window has one canvas: the whole message stays in sight
            self._toast.keep_inside(view)
        self._toast_timer.start(TOAST_MS)

    def clear_toast(self) -> None:
        self._toast_timer.stop()
        if self._toast is not None:
            if self._toast.scene() is self:
                self.removeItem(self._toast)
            self._toast = None

    @property
    def toast_text(self) -> str | None:
        return self._toast.text if self._toast is not None else None

    def shutdown(self) -> None:
        """Stop timers and stop listening (the window is closing)."""
        self.clear_toast()
        self.cancel_wire()
        if not self._listening:  # closed before (a window closed twice)
            return
        self._listening = False
        for sig, slot in ((self.document.design_replaced, self.rebuild), (self.document.design_event, self._on_event),
                          (self.document.checked, self.apply_report)):
            try:
                sig.disconnect(slot)
            except (RuntimeError, TypeError):
                pass

    # ------------------------------------------------------------------ background grid
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        painter.fillRect(rect, style.CANVAS_BG)
        scale = painter.worldTransform().m11()
        step = style.GRID if scale > 0.45 else style.GRID * style.GRID_MAJOR
        left = int(rect.left()) - int(rect.left()) % step
        top = int(rect.top()) - int(rect.top()) % step
        minor, major = [], []
        x = left
        while x < rect.right():
            (major if x % (style.GRID * style.GRID_MAJOR) == 0 else minor).append((QPointF(x, rect.top()), QPointF(x, rect.bottom())))
            x += step
        y = top
        while y < rect.bottom():
            (major if y % (style.GRID * style.GRID_MAJOR) == 0 else minor).append((QPointF(rect.left(), y), QPointF(rect.right(), y)))
            y += step
        painter.setPen(QPen(style.GRID_MINOR, 0))
        for a, b in minor:
            painter.drawLine(a, b)
        painter.setPen(QPen(style.GRID_MAJOR_COLOR, 0))
        for a, b in major:
            painter.drawLine(a, b)

    # ------------------------------------------------------------------ mouse: wires and moves
    def _port_at(self, pos: QPointF, exclude: PortItem | None = None) -> PortItem | None:
        for item in self.items(pos):
            if isinstance(item, PortItem) and item is not exclude:
                return item
        return None

    def _wire_edge(self, start: PortItem, other: PortItem) -> Edge | str:
        """The edge a wire from ``start`` to ``other`` means, or why there is none."""
        if start.is_output == other.is_output:
            which = "outputs" if start.is_output else "inputs"
            return f"both ports are {which}; drag from an output (right side) to an input (left side)"
        src, dst = (start, other) if start.is_output else (other, start)
        return Edge(src.node_id, src.name, dst.node_id, dst.name)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            port = self._port_at(event.scenePos())
            if port is not None:
                self.clear_toast()
                self._wire = WireItem(port)
                self.addItem(self._wire)
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            item = self.itemAt(event.scenePos(), QTransform())
            while item is not None and not isinstance(item, NodeItem):
                item = item.parentItem()
            if isinstance(item, NodeItem):
                self.user_dragging = True
                self._drag_start = {i.node_id: QPointF(i.pos()) for i in self.selectedItems() if isinstance(i, NodeItem)}

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._wire is not None:
            pos = event.scenePos()
            self._wire.set_end(pos)
            target = self._port_at(pos, exclude=self._wire.start)
            if target is not self._wire_target and self._wire_target is not None:
                self._wire_target.set_highlight(None)
            self._wire_target = target
            if target is None:
                self._wire.set_state(None)
                self.hint.emit("")
            else:
                edge = self._wire_edge(self._wire.start, target)
                replaced, reason = (None, edge) if isinstance(edge, str) else self.connection_plan(edge)
                self._wire.set_state(reason is None)
                target.set_highlight(style.ERROR if reason else style.WARNING if replaced else style.OK)
                if reason:
                    self.hint.emit(f"Cannot connect: {reason}")
                elif replaced is not None:
                    self.hint.emit(f"Release to replace {replaced} with {edge}")
                else:
                    self.hint.emit(f"Release to connect {edge}")
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._wire is not None:
            start = self._wire.start
            target = self._port_at(event.scenePos(), exclude=start)
            self.cancel_wire()
            self.hint.emit("")
            if target is not None:
                edge = self._wire_edge(start, target)
                if isinstance(edge, str):
                    self.refuse(edge, event.scenePos())
                else:
                    self.try_connect(edge.source, edge.source_port, edge.target, edge.target_port, event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if self.user_dragging:
            self.user_dragging = False
            self.commit_moves(self._drag_start)
            self._drag_start = {}

    def commit_moves(self, start: dict[str, QPointF]) -> None:
        """Turn where the dragged items ended up into one MoveNodes command."""
        moves = {}
        for node_id, _before in start.items():
            item = self.nodes.get(node_id)
            if item is None or node_id not in self.design.nodes:
                continue
            after = item.pos()
            old = self.design.nodes[node_id].position
            if (after.x(), after.y()) != old:
                moves[node_id] = (old, (after.x(), after.y()))
        if moves:
            self.document.push(MoveNodes(self.document, moves))

    def cancel_wire(self) -> None:
        if self._wire_target is not None:
            self._wire_target.set_highlight(None)
            self._wire_target = None
        if self._wire is not None:
            if self._wire.scene() is self:
                self.removeItem(self._wire)
            self._wire = None
