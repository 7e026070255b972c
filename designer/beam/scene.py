"""The beam-search tree as a graphics scene that mirrors :attr:`engine.beam.BeamSearch.tree`.

:meth:`BeamTreeScene.show_search` makes the scene match the engine's tree exactly — one node item
per tree node, one edge per tree edge — whatever happened since the last call (a step, Back, Run
to end, a forced what-if, a reset): items of nodes that are gone are removed, new nodes get
items, every item takes its node's current status. Node ids are the engine's; since Back lets
the engine reuse an id for another node, an item is matched on (id, parent, token).

New nodes grow out of their parent and fade in, and nodes that a forced branch pushed aside
slide to their new place, in one short animation (:attr:`animation_ms`, 0 = instant). The
scene's data (items, statuses, layout, scene rect) is final as soon as ``show_search`` returns;
only positions and opacity are animated.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEasingCurve, QObject, QPointF, QRectF, QVariantAnimation
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSimpleTextItem

from . import style
from .layout import KEPT_WEIGHT, TreeLayout, layered_layout
from .tree_items import BeamEdgeItem, BeamNodeItem, NodeLook

HEADER_FONT_PT = 8.5


class BeamTreeScene(QGraphicsScene):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.nodes: dict[int, BeamNodeItem] = {}
        self.layout: TreeLayout | None = None
        self.animation_ms = style.ANIMATION_MS
        self.search: Any = None
        self._headers: list[QGraphicsSimpleTextItem] = []
        self._join = ""  # how token texts are glued into hypotheses ("" for characters)
        self._path: list[int] = []
        self._moves: dict[BeamNodeItem, tuple[QPointF, QPointF]] = {}
        self._fades: dict[BeamNodeItem, tuple[float, float]] = {}
        self._moving_edges: list[BeamEdgeItem] = []
        self._animation = QVariantAnimation(self)
        self._animation.setStartValue(0.0)
        self._animation.setEndValue(1.0)
        self._animation.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._animation.valueChanged.connect(self._frame)
        self._animation.finished.connect(lambda: self._frame(1.0))
        self.setBackgroundBrush(style.BACKGROUND)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)  # everything moves at once anyway

    # ------------------------------------------------------------------ queries
    @property
    def animating(self) -> bool:
        return self._animation.state() == QVariantAnimation.State.Running

    def prefix_text(self, node_id: int) -> str:
        """The hypothesis ending at ``node_id`` as text (tokens joined as the target vocabulary joins them)."""
        texts: list[str] = []
        item = self.nodes.get(node_id)
        while item is not None and item.look.parent is not None:
            texts.append(item.look.text)
            item = self.nodes.get(item.look.parent)
        return self._join.join(reversed(texts))

    def tooltip_for(self, node_id: int) -> str:
        """What hovering ``node_id`` shows: its hypothesis and cumulative log-probability first."""
        item = self.nodes.get(node_id)
        return item.look.tooltip(self.prefix_text(node_id)) if item is not None else ""

    def beam_rect(self) -> QRectF:
        """Where the current beam (or, once done, the n-best) is drawn: the part to keep in view."""
        rect = QRectF()
        for item in self.nodes.values():
            if item.look.beam_rank or item.look.result_rank:
                rect = rect.united(self._target_rect(item))
        return rect

    # ------------------------------------------------------------------ mirroring the engine
    def clear_tree(self) -> None:
        self.finish_animation()
        self.hover_node(None)
        for item in list(self.nodes.values()):
            if item.edge is not None:
                self.removeItem(item.edge)
            self.removeItem(item)
        self.nodes.clear()
        for header in self._headers:
            self.removeItem(header)
        self._headers.clear()
        self.layout = None
        self.search = None
        self.setSceneRect(QRectF(-200, -100, 400, 200))

    def show_search(self, search: Any, join: str = "") -> list[int]:
        """Make the scene show ``search.tree``; returns the ids of the nodes that got new items.
        ``join`` glues token texts into the hypotheses shown on hover ("" for characters)."""
        self.finish_animation()
        if search is not self.search:
            self.clear_tree()
            self.search = search
        tree = search.tree
        beam_rank = {n: i + 1 for i, n in enumerate(search.beam)}
        result_rank = {h.node: i + 1 for i, h in enumerate(search.results) if h.node is not None}
        for node_id, item in list(self.nodes.items()):
            if node_id not in tree or (tree.nodes[node_id]["parent"], tree.nodes[node_id]["token"]) != item.key:
                self._remove(node_id)
        if self._path and any(n not in self.nodes for n in self._path):
            self._path = []
        added: list[int] = []
        restyle: list[BeamNodeItem] = []
        self._join = join
        for node_id, attrs in tree.nodes(data=True):
            look = NodeLook.from_tree(node_id, attrs, beam_rank.get(node_id), result_rank.get(node_id))
            item = self.nodes.get(node_id)
            if item is None:
                item = BeamNodeItem(look)
                item.setOpacity(0.0)
                self.addItem(item)
                self.nodes[node_id] = item
                added.append(node_id)
            elif item.set_look(look):
                restyle.append(item)
        for node_id in added:
            item = self.nodes[node_id]
            parent = item.look.parent
            if parent is not None:
                item.edge = BeamEdgeItem(self.nodes[parent], item)
                item.edge.setOpacity(0.0)
                self.addItem(item.edge)
        for item in restyle:
            if item.edge is not None:
                item.edge.restyle()
        self._lay_out(search.root, set(added))
        return added

    def _remove(self, node_id: int) -> None:
        item = self.nodes.pop(node_id)
        if item.edge is not None:
            self.removeItem(item.edge)
            item.edge = None
        self.removeItem(item)

    # ------------------------------------------------------------------ layout and animation
    def _lay_out(self, root: int, added: set[int]) -> None:
        nodes = self.nodes
        layout = layered_layout(self.search.tree, root, style.COLUMN_PITCH,
                                height=lambda n: nodes[n].look.height,
                                weight=lambda n: KEPT_WEIGHT if nodes[n].look.kept else 1.0)
        self.layout = layout
        self._moves, self._fades = {}, {}
        for node_id, (x, y) in layout.positions.items():
            item = nodes[node_id]
            target = QPointF(x, y)
            if node_id in added:
                parent = nodes.get(item.look.parent) if item.look.parent is not None else None
                start = self._moves[parent][1] if parent in self._moves else (parent.pos() if parent else target)
                self._moves[item] = (start, target)
                self._fades[item] = (0.0, item.look.opacity)
            else:
                if item.pos() != target:
                    self._moves[item] = (item.pos(), target)
                if item.opacity() != item.look.opacity:
                    self._fades[item] = (item.opacity(), item.look.opacity)
        moving = set(self._moves) | set(self._fades)
        self._moving_edges = [i.edge for i in nodes.values()
                              if i.edge is not None and (i in moving or i.edge.parent_item in moving)]
        self._place_headers(layout)
        self._set_rect(layout)
        if self.animation_ms <= 0 or not (self._moves or self._fades):
            self._frame(1.0)
            return
        self._animation.setDuration(int(self.animation_ms))
        self._frame(0.0)
        self._animation.start()

    def _frame(self, t: float) -> None:
        t = float(t)
        for item, (a, b) in self._moves.items():
            item.setPos(a + (b - a) * t)
        for item, (a, b) in self._fades.items():
            item.setOpacity(a + (b - a) * t)
        for edge in self._moving_edges:
            edge.refresh()
            edge.setOpacity(edge.child_item.opacity())

    def finish_animation(self) -> None:
        """Jump to the end of a running animation (before a picture is taken of the scene)."""
        if self.animating:
            self._animation.stop()
            self._frame(1.0)

    def _target_rect(self, item: BeamNodeItem) -> QRectF:
        x, y = self.layout.positions[item.node_id] if self.layout else (item.pos().x(), item.pos().y())
        return item.rect().translated(x, y)

    def _place_headers(self, layout: TreeLayout) -> None:
        font = QFont()
        font.setPointSizeF(HEADER_FONT_PT)
        while len(self._headers) < layout.depth + 1:
            header = QGraphicsSimpleTextItem()
            header.setFont(font)
            header.setBrush(style.HEADER_TEXT)
            header.setZValue(style.Z_HEADER)
            self.addItem(header)
            self._headers.append(header)
        while len(self._headers) > layout.depth + 1:
            self.removeItem(self._headers.pop())
        for depth, header in enumerate(self._headers):
            header.setText("start" if depth == 0 else f"t = {depth}")
            box = header.boundingRect()
            header.setPos(depth * style.COLUMN_PITCH - box.width() / 2, layout.top - style.HEADER_GAP - box.height())

    def _set_rect(self, layout: TreeLayout) -> None:
        header_h = self._headers[0].boundingRect().height() if self._headers else 0.0
        m = style.SCENE_MARGIN
        left = -style.NODE_WIDTH / 2 - m
        right = layout.depth * style.COLUMN_PITCH + style.NODE_WIDTH / 2 + m
        top = layout.top - style.HEADER_GAP - header_h - m / 2
        bottom = layout.bottom + m
        self.setSceneRect(QRectF(QRectF(left, top, right - left, bottom - top).toAlignedRect()))

    # ------------------------------------------------------------------ hover: the path from the root
    def hover_node(self, node_id: int | None) -> None:
        for n in self._path:
            item = self.nodes.get(n)
            if item is not None and item.edge is not None:
                item.edge.on_path = False
                item.edge.restyle()
            if item is not None:
                item.setZValue(style.Z_NODE)
        self._path = []
        node = node_id
        while node is not None and node in self.nodes:
            item = self.nodes[node]
            self._path.append(node)
            item.setZValue(style.Z_NODE_HOVER)
            if item.edge is not None:
                item.edge.on_path = True
                item.edge.restyle()
            node = item.look.parent

    # ------------------------------------------------------------------ background: a band per column
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        painter.fillRect(rect, style.BACKGROUND)
        if self.layout is None:
            return
        pitch = style.COLUMN_PITCH
        first = max(0, int((rect.left() + pitch / 2) // pitch))
        last = min(self.layout.depth, int((rect.right() + pitch / 2) // pitch))
        scene = self.sceneRect()
        for column in range(first, last + 1):
            if column % 2:
                band = QRectF(column * pitch - pitch / 2, scene.top(), pitch, scene.height())
                painter.fillRect(band.intersected(rect), style.BAND)
