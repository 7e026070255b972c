"""What one node and one edge of the beam-search tree look like.

A node shows its token and its probability given its parent. Its colour says its fate: in the
current beam (bright, with its rank in the beam as a yellow badge), on a line the search still
follows, finished (green, double border, its place in the n-best list as a badge; amber when it
stopped at the maximum length instead of ``<eos>``), or pruned (faded, with ``✗k``: the step it
fell out). A violet stripe marks nodes decoding was forced through (what-if). Hovering shows the
cumulative log-probability and lights the path from the root.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsSceneHoverEvent, QStyleOptionGraphicsItem, QWidget

from . import style

_VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥", "": "∅"}


def shown_token(text: str) -> str:
    """A token as drawn: blanks made visible."""
    return _VISIBLE.get(text, text)


def probability_text(logprob: float) -> str:
    """``0.93``, ``0.05``, ``3e-04``: two decimals while they say something, else scientific."""
    if not math.isfinite(logprob):
        return "0"
    p = math.exp(logprob)
    if p >= 0.995:
        return "1.00"
    if p >= 0.01:
        return f"{p:.2f}"
    return f"{p:.0e}"


@dataclass(frozen=True)
class NodeLook:
    """Everything a node item draws, read from the engine's node attributes (and the beam/results)."""

    node_id: int
    parent: int | None
    token: int
    text: str
    logprob: float
    score: float
    norm_score: float
    depth: int
    status: str  # alive | finished | pruned
    pruned_at: int | None
    step: int
    kept: bool
    finished_by: str | None
    forced: bool
    beam_rank: int | None = None  # 1-based place in the current beam
    result_rank: int | None = None  # 1-based place in the n-best list

    @classmethod
    def from_tree(cls, node_id: int, attrs: dict[str, Any], beam_rank: int | None, result_rank: int | None) -> NodeLook:
        return cls(node_id, attrs["parent"], int(attrs["token"]), str(attrs["text"]), float(attrs["logprob"]),
                   float(attrs["score"]), float(attrs.get("norm_score", attrs["score"])), int(attrs["depth"]),
                   str(attrs["status"]), attrs.get("pruned_at"), int(attrs.get("step", 0)), bool(attrs.get("kept")),
                   attrs.get("finished_by"), bool(attrs.get("forced")), beam_rank, result_rank)

    @property
    def is_root(self) -> bool:
        return self.parent is None

    @property
    def height(self) -> float:
        return style.KEPT_HEIGHT if (self.kept or self.is_root) else style.PRUNED_HEIGHT

    @property
    def opacity(self) -> float:
        return style.PRUNED_OPACITY if self.status == "pruned" else 1.0

    def tooltip(self, prefix: str) -> str:
        """Cumulative log-probability first: what the search ranks by."""
        if self.is_root:
            return f"<b>start</b> ({self.text})<br>cumulative log p = 0"
        lines = [f"<b>{_html(prefix) or _html(shown_token(self.text))}</b>",
                 f"cumulative log p = <b>{self.score:.4f}</b>",
                 f"this token: p = {math.exp(self.logprob):.4f} (log p {self.logprob:.4f})"]
        if self.norm_score != self.score:
            lines.append(f"length-normalised score = {self.norm_score:.4f}")
        fate = {"alive": "in the search", "finished": "finished", "pruned": "pruned"}[self.status]
        if self.status == "finished":
            fate += " by <eos>" if self.finished_by == "eos" else " at the maximum length"
            if self.result_rank:
                fate += f" · n-best #{self.result_rank}"
        if self.status == "pruned" and self.pruned_at is not None:
            fate += f" at step {self.pruned_at}" + ("" if self.kept else " (never chosen)")
        if self.beam_rank:
            fate += f" · beam #{self.beam_rank}"
        lines.append(f"{fate}; created at step {self.step}, token {self.depth}")
        if self.forced:
            lines.append("decoding was forced through here (what-if)")
        lines.append("<i>click: continue decoding from here</i>")
        return "<br>".join(lines)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Fonts:
    """Fonts made once, after the application exists."""

    token: QFont | None = None
    small: QFont | None = None
    badge: QFont | None = None

    @classmethod
    def ensure(cls) -> None:
        if cls.token is None:
            cls.token = QFont()
            cls.token.setPointSizeF(9.5)
            cls.token.setBold(True)
            cls.small = QFont()
            cls.small.setPointSizeF(8)
            cls.badge = QFont()
            cls.badge.setPointSizeF(7)
            cls.badge.setBold(True)


class BeamNodeItem(QGraphicsItem):
    """One hypothesis prefix. ``node_id`` is the engine's node id."""

    def __init__(self, look: NodeLook) -> None:
        super().__init__()
        _Fonts.ensure()
        self.look = look
        self.node_id = look.node_id
        self.edge: BeamEdgeItem | None = None  # the edge from the parent
        self.labelled = False  # a zoom-proof label shows its token: the box leaves its own text out
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(style.Z_NODE)

    @property
    def key(self) -> tuple[int | None, int]:
        """(parent, token): what makes a node the same node after Back reuses its id."""
        return self.look.parent, self.look.token

    def set_look(self, look: NodeLook) -> bool:
        """Take the node's current state; True when it changed."""
        if look == self.look:
            return False
        if look.height != self.look.height:
            self.prepareGeometryChange()
        self.look = look
        self.update()
        return True

    # ------------------------------------------------------------------ geometry
    def rect(self) -> QRectF:
        h = self.look.height
        return QRectF(-style.NODE_WIDTH / 2, -h / 2, style.NODE_WIDTH, h)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self.rect().adjusted(-8, -8, 8, 4)  # badges stick out of the top corners

    def left(self) -> QPointF:
        return self.pos() + QPointF(-style.NODE_WIDTH / 2, 0)

    def right(self) -> QPointF:
        return self.pos() + QPointF(style.NODE_WIDTH / 2, 0)

    # ------------------------------------------------------------------ drawing
    def _colours(self) -> tuple[QColor, QColor, float]:
        lk = self.look
        if lk.is_root:
            return style.ROOT_FILL, style.ROOT_BORDER, 1.4
        if lk.status == "finished":
            border = style.FINISHED_BORDER if lk.finished_by == "eos" else style.MAX_LEN_BORDER
            return style.FINISHED_FILL, border, 1.6
        if lk.status == "pruned":
            return style.PRUNED_FILL, style.PRUNED_BORDER, 1.0
        if lk.beam_rank:
            return style.BEAM_FILL, style.BEAM_BORDER, 2.2
        return style.ALIVE_FILL, style.ALIVE_BORDER, 1.2

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        lk = self.look
        rect = self.rect()
        fill, border, width = self._colours()
        if option.levelOfDetailFromTransform(painter.worldTransform()) < style.TEXT_MIN_SCALE:
            painter.fillRect(rect, border if (lk.beam_rank or lk.status == "finished") else fill)
            return  # zoomed far out: text would be unreadable specks; colour says it all
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(border, width))
        painter.setBrush(QBrush(fill))
        painter.drawRoundedRect(rect, style.NODE_RADIUS, style.NODE_RADIUS)
        if lk.status == "finished":  # the double border of a finished hypothesis
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(border, 1.0))
            painter.drawRoundedRect(rect.adjusted(3, 3, -3, -3), style.NODE_RADIUS - 2, style.NODE_RADIUS - 2)
        if lk.forced:
            stripe = QRectF(rect.left() + 1.5, rect.top() + 4, 3.5, rect.height() - 8)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.FORCED_MARK)
            painter.drawRoundedRect(stripe, 1.5, 1.5)
        if not self.labelled:
            self._draw_text(painter, rect)
        if lk.beam_rank:
            self._badge(painter, QPointF(rect.left(), rect.top()), str(lk.beam_rank), style.BADGE_FILL)
        if lk.result_rank:
            self._badge(painter, QPointF(rect.right(), rect.top()), f"#{lk.result_rank}", style.RESULT_BADGE_FILL)

    def _draw_text(self, painter: QPainter, rect: QRectF) -> None:
        lk = self.look
        inner = rect.adjusted(style.TEXT_PAD + (3 if lk.forced else 0), 0, -style.TEXT_PAD, 0)
        pruned = lk.status == "pruned"
        right = "" if lk.is_root else probability_text(lk.logprob)
        if pruned and lk.pruned_at is not None:
            right += f" ✗{lk.pruned_at}"
        painter.setFont(_Fonts.small)
        painter.setPen(style.PRUNED_TEXT if pruned else style.DIM_TEXT)
        right_w = QFontMetricsF(_Fonts.small).horizontalAdvance(right) if right else 0.0
        painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, right)
        token_font = _Fonts.small if pruned else _Fonts.token
        painter.setFont(token_font)
        painter.setPen(style.PRUNED_TEXT if pruned else style.TEXT)
        room = max(8.0, inner.width() - right_w - 4)
        text = QFontMetricsF(token_font).elidedText(shown_token(lk.text), Qt.TextElideMode.ElideRight, room)
        painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)

    @staticmethod
    def _badge(painter: QPainter, at: QPointF, text: str, fill: QColor) -> None:
        fm = QFontMetricsF(_Fonts.badge)
        w = max(14.0, fm.horizontalAdvance(text) + 7)
        box = QRectF(at.x() - w / 2, at.y() - 7, w, 14)
        painter.setPen(QPen(style.BACKGROUND, 1.0))
        painter.setBrush(fill)
        painter.drawRoundedRect(box, 7, 7)
        painter.setFont(_Fonts.badge)
        painter.setPen(style.BADGE_TEXT)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    # ------------------------------------------------------------------ hover
    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        scene = self.scene()
        if scene is not None and hasattr(scene, "hover_node"):
            self.setToolTip(scene.tooltip_for(self.node_id))  # made on demand: cheap steps on big trees
            scene.hover_node(self.node_id)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        scene = self.scene()
        if scene is not None and hasattr(scene, "hover_node"):
            scene.hover_node(None)
        super().hoverLeaveEvent(event)


class BeamEdgeItem(QGraphicsPathItem):
    """The edge from a node's parent to it: a smooth curve between the columns."""

    def __init__(self, parent_item: BeamNodeItem, child_item: BeamNodeItem) -> None:
        super().__init__()
        self.parent_item, self.child_item = parent_item, child_item
        self.on_path = False
        self.setZValue(style.Z_EDGE)
        self.setAcceptHoverEvents(False)
        self.restyle()
        self.refresh()

    def refresh(self) -> None:
        """Follow the two nodes (after a layout, or each frame of an animation)."""
        a, b = self.parent_item.right(), self.child_item.left()
        path = QPainterPath(a)
        dx = (b.x() - a.x()) * 0.5
        path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
        self.setPath(path)

    def restyle(self) -> None:
        lk = self.child_item.look
        if self.on_path:
            colour, width = style.EDGE_PATH, style.EDGE_WIDTH_PATH
        elif lk.status == "finished":
            colour, width = style.EDGE_FINISHED, style.EDGE_WIDTH_KEPT
        elif lk.status == "alive":
            colour, width = style.EDGE_ALIVE, style.EDGE_WIDTH_KEPT
        else:
            colour, width = style.EDGE_PRUNED, style.EDGE_WIDTH
        pen = QPen(colour, width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        if lk.status == "pruned" and not self.on_path:
            pen.setStyle(Qt.PenStyle.DashLine if lk.kept else Qt.PenStyle.SolidLine)
        self.setPen(pen)
        self.setZValue(style.Z_EDGE_PATH if self.on_path else style.Z_EDGE)
