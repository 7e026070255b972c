"""Where one step of the search looked: a strip of the source's tokens shaded by the attention weight
the selected hypothesis node's step gave each of them.

A node's token was scored at one decoding step; an attending decoder weighed the source's steps
then (``engine.beam.search``: the node attribute ``attention``). The strip shows those weights over
the source tokens, darkest where the decoder looked, so a user sees why a branch went wrong (it
read the wrong part of the source). Hidden for a model that does not attend.
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

CELL_MIN_W, CELL_H, CELL_PAD = 22, 26, 6
LOW, HIGH = QColor("#23283a"), QColor("#ffd54a")  # weight 0 … 1 (the tree's path colour at 1)
TEXT_DARK, TEXT_LIGHT = QColor("#1b1e27"), QColor("#d8dee9")


def shade(weight: float) -> QColor:
    """The cell colour of ``weight`` (0..1), blended from LOW to HIGH."""
    w = min(1.0, max(0.0, float(weight)))
    return QColor(*(round(a + (b - a) * w) for a, b in zip(LOW.getRgb()[:3], HIGH.getRgb()[:3])))


class _Cells(QWidget):
    """The shaded token cells themselves, painted in one pass."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tokens: list[str] = []
        self.weights: list[float] = []
        self.setMinimumHeight(CELL_H)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802
        fm = QFontMetrics(self.font())
        width = sum(max(CELL_MIN_W, fm.horizontalAdvance(t) + 2 * CELL_PAD) for t in self.tokens)
        return QSize(max(width, 200), CELL_H)

    def cell_rects(self) -> list[QRectF]:
        """One rectangle per source token, left to right, scaled to fill the width when it can."""
        fm = QFontMetrics(self.font())
        widths = [max(CELL_MIN_W, fm.horizontalAdvance(t) + 2 * CELL_PAD) for t in self.tokens]
        scale = max(1.0, self.width() / sum(widths)) if widths else 1.0
        scale = min(scale, 2.5)  # a short source keeps readable cells, not a stretched band
        rects, x = [], 0.0
        for w in widths:
            rects.append(QRectF(x, 0, w * scale - 1, CELL_H))
            x += w * scale
        return rects

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for rect, token, weight in zip(self.cell_rects(), self.tokens, self.weights):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(shade(weight))
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(TEXT_DARK if weight > 0.5 else TEXT_LIGHT)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, token)
        painter.end()

    def cell_at(self, x: float) -> int | None:
        for i, rect in enumerate(self.cell_rects()):
            if rect.left() <= x <= rect.right():
                return i
        return None

    def mouseMoveEvent(self, event) -> None:  # noqa: ANN001, N802
        i = self.cell_at(event.position().x())
        self.setToolTip("" if i is None else f"“{self.tokens[i]}” (source step {i}): weight {self.weights[i]:.3f}")


class AttentionStrip(QWidget):
    """A caption ("“2026-1” looked at:") and the source tokens shaded by the node's weights."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("beamAttentionStrip")
        self.caption = QLabel(self)
        self.caption.setObjectName("beamAttentionCaption")
        self.caption.setStyleSheet("color: #9aa3b5;")
        self.cells = _Cells(self)
        self.cells.setMouseTracking(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.cells, 1)
        self.node_id: int | None = None  # the node shown
        self.selected: int | None = None  # the node a user selected (None: follow the best in the beam)
        self.setVisible(False)

    @property
    def tokens(self) -> list[str]:
        return list(self.cells.tokens)

    @property
    def weights(self) -> list[float]:
        return list(self.cells.weights)

    def show_node(self, node_id: int | None, tokens: Sequence[str], weights: Sequence[float] | None,
                  caption: str) -> bool:
        """Shade ``tokens`` by ``weights`` (one per token) under ``caption``; without weights (a model
        that does not attend, the root, a node made by a what-if) say so, or hide for no model."""
        self.node_id = node_id
        if weights is None:
            self.cells.tokens, self.cells.weights = [], []
            self.caption.setText(caption)
            self.cells.update()
            return False
        n = min(len(tokens), len(weights))
        self.cells.tokens = [("␣" if t == " " else t) for t in tokens[:n]]
        self.cells.weights = [float(w) for w in weights[:n]]
        self.caption.setText(caption)
        self.cells.updateGeometry()
        self.cells.update()
        self.setVisible(True)
        return True

    def clear(self, hide: bool = True) -> None:
        self.node_id = self.selected = None
        self.cells.tokens, self.cells.weights = [], []
        self.caption.setText("")
        self.cells.update()
        if hide:
            self.setVisible(False)

    def follow(self, search: object, node_id: int | None, beam_model: object, source: object) -> bool:
        """Show node ``node_id`` of ``search`` (an engine BeamSearch) for ``beam_model`` (a BeamModel)
        searching ``source`` (a SourceExample); the node stays selected while the tree holds it.
        None: the selected node, or while there is none the best hypothesis in the beam."""
        model = getattr(beam_model, "model", None)
        if search is None or source is None or not getattr(model, "attends", False):
            self.clear()
            return False
        tree = search.tree  # type: ignore[attr-defined]
        if node_id is not None and node_id in tree:
            self.selected = node_id
        elif self.selected is not None and self.selected in tree:
            node_id = self.selected
        else:
            self.selected = None
            beam = search.beam  # type: ignore[attr-defined]
            node_id = beam[0] if beam else None
        if node_id is None:
            self.clear(hide=False)
            self.caption.setText("Select a hypothesis to see where its step attended.")
            self.setVisible(True)
            return False
        ids = source.x.tolist()[: source.length or None]  # type: ignore[attr-defined]
        vocab = getattr(beam_model, "source_vocab", None)
        tokens = [vocab.token(int(i)) if vocab is not None else str(i) for i in ids]
        data = tree.nodes[node_id]
        weights = data.get("attention")
        text = "␣" if data["text"] == " " else data["text"]
        if weights is None:
            why = "the start token" if data["parent"] is None else "a what-if node, scored without a search step"
            self.setVisible(True)
            return self.show_node(node_id, tokens, None, f"“{text}”: {why}; no attention recorded.")
        return self.show_node(node_id, tokens, weights, f"Writing “{text}” (step {data['depth']}) it looked at:")
