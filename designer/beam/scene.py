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

"Beam only" (:meth:`set_beam_only`) hides the rejected branches pruned more than k steps ago and
lays out what is left, so a wide beam fits in far less room. Zoomed out, the nodes that matter
keep labels of a fixed size (:mod:`.labels`), placed again at every zoom.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import QEasingCurve, QObject, QPointF, QRectF, QVariantAnimation
from PySide6.QtGui import QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSimpleTextItem

from . import style
from .labels import LabelWish, NodeLabel, label_font, label_size, place_labels
from .layout import KEPT_WEIGHT, TreeLayout, layered_layout
from .tree_items import BeamEdgeItem, BeamNodeItem, NodeLook, shown_token

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
        self.beam_only, self.keep_steps = False, 1
        self.hidden: set[int] = set()  # nodes "beam only" leaves out
        self.zoom = 1.0  # the view's, for the labels
        self.labels: dict[int, NodeLabel] = {}
        self._labels_off = False
        self._label_metrics = QFontMetricsF(label_font())
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
        self._drop_labels(set(self.labels))
        self.hidden = set()
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
        self.hidden = self._hidden_nodes(search) if self.beam_only else set()
        for node_id, item in self.nodes.items():
            item.setVisible(node_id not in self.hidden)
            if item.edge is not None:
                item.edge.setVisible(node_id not in self.hidden)
        self._lay_out(search.root, set(added))
        return added

    # ------------------------------------------------------------------ beam only
    def set_beam_only(self, on: bool, keep_steps: int = 1) -> None:
        """Hide (``on``) the rejected branches pruned more than ``keep_steps`` steps ago; the
        caller shows the search again."""
        self.beam_only, self.keep_steps = bool(on), max(0, int(keep_steps))

    def _hidden_nodes(self, search: Any) -> set[int]:
        tree, last = search.tree, search.steps - self.keep_steps
        ranked = {n for n, item in self.nodes.items() if item.look.result_rank}
        hidden: set[int] = set()
        for node in tree.nodes:  # ids grow from the root outwards: a parent comes before its children
            attrs = tree.nodes[node]
            status = attrs["status"]
            pruned = status == "pruned" and (attrs.get("pruned_at") or 0) <= last
            outranked = status == "finished" and node not in ranked and attrs.get("step", 0) <= last  # not in the n-best
            if pruned or outranked or attrs["parent"] in hidden:
                hidden.add(node)
        return hidden

    def visible_nodes(self) -> list[int]:
        return [n for n in self.nodes if n not in self.hidden]

    def _remove(self, node_id: int) -> None:
        item = self.nodes.pop(node_id)
        if item.edge is not None:
            self.removeItem(item.edge)
            item.edge = None
        self.removeItem(item)

    # ------------------------------------------------------------------ layout and animation
    def _lay_out(self, root: int, added: set[int]) -> None:
        nodes = self.nodes
        tree = self.search.tree
        if self.hidden:
            tree = tree.subgraph([n for n in tree.nodes if n not in self.hidden])
        layout = layered_layout(tree, root, style.COLUMN_PITCH,
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
        self.place_labels()
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
        x, y = self._target(item)
        return item.rect().translated(x, y)

    def _target(self, item: BeamNodeItem) -> tuple[float, float]:
        """Where the node is (or is going, while animating)."""
        if self.layout is not None and item.node_id in self.layout.positions:
            return self.layout.positions[item.node_id]
        return item.pos().x(), item.pos().y()

    def frontier_rect(self) -> QRectF:
        """The newest column and the best hypothesis in the beam: what following the search keeps in view."""
        best = next((i for i in self.nodes.values() if i.look.beam_rank == 1), None)
        if best is None:
            best = next((i for i in self.nodes.values() if i.look.result_rank == 1), None)
        if best is None:
            return QRectF()
        return self._target_rect(best)

    # ------------------------------------------------------------------ labels that stay readable
    def set_zoom(self, zoom: float) -> None:
        """The view's zoom changed: place the labels again."""
        if abs(zoom - self.zoom) > 1e-9:
            self.zoom = float(zoom)
            self.place_labels()

    @contextlib.contextmanager
    def labels_hidden(self) -> Iterator[None]:
        """No zoom-proof labels while drawing a picture at 100 % (the boxes carry their tokens)."""
        self._labels_off = True
        self.place_labels()
        try:
            yield
        finally:
            self._labels_off = False
            self.place_labels()

    def chosen_path(self) -> list[int]:
        """The nodes from the first token to the best finished hypothesis (once done) or to the best in the beam."""
        ends = [i for i in self.nodes.values() if i.look.result_rank == 1] if self.search and self.search.done else []
        ends = ends or [i for i in self.nodes.values() if i.look.beam_rank == 1]
        path: list[int] = []
        item = ends[0] if ends else None
        while item is not None and item.look.parent is not None:
            path.append(item.node_id)
            item = self.nodes.get(item.look.parent)
        return path[::-1]

    def _label_text(self, look: NodeLook) -> str:
        token = shown_token(look.text)
        if look.result_rank:
            return f"#{look.result_rank}" if look.finished_by == "eos" else f"{token} #{look.result_rank}"
        return token

    def place_labels(self) -> None:
        """Label the chosen path, the beam and the n-best at a fixed pixel size when zoomed out."""
        want: list[LabelWish] = []
        if not self._labels_off and self.zoom < style.LABEL_ZOOM and self.layout is not None:
            z = self.zoom
            size = self._size
            path = [n for n in self.chosen_path() if n not in self.hidden]
            texts = {n: self._label_text(self.nodes[n].look) for n in path}
            per_token = all(size(t)[0] + 4 <= style.COLUMN_PITCH * z for t in texts.values())
            at = {n: (self._target(self.nodes[n])[0] * z, self._target(self.nodes[n])[1] * z) for n in self.nodes}
            if per_token:
                want += [LabelWish(n, at[n], texts[n], "path") for n in path]
            elif path:  # too narrow for a label per token: the whole hypothesis once, beside its end
                end = self.nodes[path[-1]]
                upto = path[:-1] if end.look.finished_by == "eos" else path  # the text, without its <eos>
                text = self.prefix_text(upto[-1]) if upto else ""
                rank = f" #{end.look.result_rank}" if end.look.result_rank else ""
                want.append(LabelWish(path[-1], at[path[-1]], (text or "∅") + rank, "path",
                                      beside=style.NODE_WIDTH * z / 2))
            on_path = set(path)
            ranked = sorted((i for i in self.nodes.values() if i.node_id not in on_path and i.node_id not in self.hidden
                             and (i.look.beam_rank or i.look.result_rank)),
                            key=lambda i: (i.look.beam_rank or 10**6, i.look.result_rank or 10**6))
            want += [LabelWish(i.node_id, at[i.node_id], self._label_text(i.look), "result" if i.look.result_rank
                               else "beam") for i in ranked]
        boxes = place_labels(want, self._size)
        kinds = {w.node_id: w for w in want}
        self._drop_labels(set(self.labels) - set(boxes))
        for node_id, rect in boxes.items():
            label = self.labels.get(node_id)
            if label is None:
                label = self.labels[node_id] = NodeLabel()
                self.addItem(label)
            wish = kinds[node_id]
            x, y = self._target(self.nodes[node_id])
            label.setPos(QPointF(x, y))
            label.show_at(wish.text, wish.kind, rect.translated(-wish.anchor[0], -wish.anchor[1]))
        for node_id, item in self.nodes.items():
            labelled = node_id in boxes and not kinds[node_id].beside
            if item.labelled != labelled:
                item.labelled = labelled
                item.update()

    def _size(self, text: str) -> tuple[float, float]:
        return label_size(text, self._label_metrics)

    def _drop_labels(self, node_ids: set[int]) -> None:
        for node_id in node_ids:
            label = self.labels.pop(node_id, None)
            if label is not None:
                self.removeItem(label)

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
