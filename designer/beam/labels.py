"""Labels that stay readable at any zoom: the chosen path's tokens, the beam's and the n-best's.

Zoomed out (below :data:`style.LABEL_ZOOM`) the tokens drawn inside the node boxes shrink to
specks, so the nodes that matter get a label drawn at a fixed pixel size, ignoring the view's
transform: every token of the chosen path (the best finished hypothesis, or the best in the beam
while searching), each hypothesis in the beam and each finished one in the n-best list (its rank,
``#k``). Labels never cover each other: each is placed, in that order of importance, at its node
or nudged up or down with a leader line back to it. When the columns are too narrow for one
label per token, the chosen path is labelled once, at its end, with its whole text.

:func:`place_labels` decides where (pure geometry in view pixels, no items); :class:`NodeLabel`
draws one.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from . import style

PAD_X, PAD_Y = 4.0, 2.0  # around the text, in pixels
GAP = 2.0  # between two labels
MAX_NUDGE = 8  # a label moves at most this many label heights away from its node


@dataclass(frozen=True)
class LabelWish:
    """A label someone wants: at ``anchor`` (view pixels), ``text``, in the colours of ``kind``
    (``path``, ``beam`` or ``result``); ``beside`` puts it to the right of the node instead of on it."""

    node_id: int
    anchor: tuple[float, float]
    text: str
    kind: str
    beside: float = 0.0  # half the node's width in pixels, when the label goes to its right


def label_font() -> QFont:
    font = QFont()
    font.setPixelSize(style.LABEL_PX)
    font.setBold(True)
    return font


def label_size(text: str, metrics: QFontMetricsF) -> tuple[float, float]:
    return metrics.horizontalAdvance(text) + 2 * PAD_X, metrics.height() + 2 * PAD_Y


def place_labels(wishes: list[LabelWish], size: Callable[[str], tuple[float, float]]) -> dict[int, QRectF]:
    """Where each wished label goes (view pixels), in the order given (most important first):
    at its anchor, else nudged up or down, clear of every label placed before. Labels that find
    no room within :data:`MAX_NUDGE` heights are left out."""
    placed: dict[int, QRectF] = {}
    taken: list[QRectF] = []
    for wish in wishes:
        w, h = size(wish.text)
        x, y = wish.anchor
        left = x + wish.beside + GAP if wish.beside else x - w / 2
        for k in range(2 * MAX_NUDGE + 1):
            dy = (k + 1) // 2 * (h + GAP) * (1 if k % 2 else -1)
            rect = QRectF(left, y - h / 2 + dy, w, h)
            grown = rect.adjusted(-GAP / 2, -GAP / 2, GAP / 2, GAP / 2)
            if not any(grown.intersects(t) for t in taken):
                placed[wish.node_id] = rect
                taken.append(grown)
                break
    return placed


KIND_COLOURS = {"path": style.EDGE_PATH, "beam": style.BEAM_BORDER, "result": style.FINISHED_BORDER}


class NodeLabel(QGraphicsItem):
    """One label: positioned at its node's centre in the scene, drawn in view pixels (it ignores
    the view's transform), its box at ``offset`` from there with a leader line when it moved."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self.setZValue(style.Z_LABEL)
        self.font = label_font()
        self.text = ""
        self.kind = "path"
        self.box = QRectF()  # relative to the node's centre, in pixels

    def show_at(self, text: str, kind: str, box: QRectF) -> None:
        self.prepareGeometryChange()
        self.text, self.kind, self.box = text, kind, QRectF(box)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self.box.united(QRectF(-1, -1, 2, 2)).adjusted(-2, -2, 2, 2)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        colour: QColor = KIND_COLOURS.get(self.kind, style.TEXT)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        centre = self.box.center()
        if self.box.contains(QPointF(0, 0)) is False:  # nudged away from its node: a leader line back to it
            painter.setPen(QPen(colour, 1.0))
            edge = QPointF(self.box.left() if centre.x() > 0 else centre.x(),
                           min(max(0.0, self.box.top()), self.box.bottom()))
            painter.drawLine(QPointF(0, 0), edge)
        painter.setPen(QPen(colour, 1.2))
        painter.setBrush(style.LABEL_FILL)
        painter.drawRoundedRect(self.box, 4, 4)
        painter.setFont(self.font)
        painter.setPen(style.TEXT)
        painter.drawText(self.box, Qt.AlignmentFlag.AlignCenter, self.text)
