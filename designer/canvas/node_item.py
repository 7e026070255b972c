"""A node: one block of the design drawn as a card with a coloured header, ports and badges."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from engine.document.design import Node

from . import style
from .port_item import PortItem

if TYPE_CHECKING:
    from .scene import DesignScene

# how a card labels the parameters it shows (which ones: the catalog's BlockSpec.card)
_SHORT = {"hidden_size": "hidden", "vocab_size": "vocab", "num_classes": "classes", "embed_dim": "embed",
          "output_size": "out", "nonlinearity": "", "activation": "", "mode": "", "cell": ""}


def human_count(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.2f}M"
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return str(n)


class NodeItem(QGraphicsItem):
    """Appears, changes and disappears only through the scene's handling of design events."""

    def __init__(self, node: Node) -> None:
        super().__init__()
        self.node_id = node.id
        self.kind = node.kind
        self.spec = node.spec
        self._params = dict(node.params)
        self._severity: str | None = None  # "error" | "warning" | None
        self._problem_text = ""
        self._param_count: int | None = None
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setZValue(style.Z_NODE)
        self.setAcceptHoverEvents(True)
        rows = max(len(self.spec.inputs), len(self.spec.outputs), 1)
        self._height = style.NODE_HEADER + style.NODE_BODY_PAD * 2 + rows * style.NODE_PORT_ROW + style.NODE_FOOTER
        self.inputs: dict[str, PortItem] = {}
        self.outputs: dict[str, PortItem] = {}
        top = style.NODE_HEADER + style.NODE_BODY_PAD + style.NODE_PORT_ROW / 2
        for i, p in enumerate(self.spec.inputs):
            port = PortItem(self, node.id, p, is_output=False)
            port.setPos(0, top + i * style.NODE_PORT_ROW)
            self.inputs[p.name] = port
        for i, p in enumerate(self.spec.outputs):
            port = PortItem(self, node.id, p, is_output=True)
            port.setPos(style.NODE_WIDTH, top + i * style.NODE_PORT_ROW)
            self.outputs[p.name] = port
        self.setPos(QPointF(*node.position))
        self._update_tooltip()

    # ------------------------------------------------------------------ state from the document
    @property
    def params(self) -> dict:
        return dict(self._params)

    def set_params(self, params: dict) -> None:
        self._params = dict(params)
        self._update_tooltip()
        self.update()

    def set_problem(self, severity: str | None, text: str = "") -> None:
        if (severity, text) != (self._severity, self._problem_text):
            self._severity, self._problem_text = severity, text
            self._update_tooltip()
            self.update()

    @property
    def severity(self) -> str | None:
        return self._severity

    def set_param_count(self, count: int | None) -> None:
        if count != self._param_count:
            self._param_count = count
            self.update()

    def port(self, name: str, output: bool) -> PortItem | None:
        return (self.outputs if output else self.inputs).get(name)

    def badges(self) -> list[str]:
        """The small labels that set stacked and bidirectional cells apart from plain ones."""
        out = []
        layers = self._params.get("num_layers", 1)
        if isinstance(layers, int) and layers > 1:
            out.append(f"×{layers} layers")
        if self._params.get("bidirectional"):
            out.append("⇄ bidirectional")
        return out

    def summary(self) -> str:
        parts = []
        for name in self.spec.card:
            if name not in self._params:
                continue
            value = self._params[name]
            if name == "output_size" and not value:
                continue
            label = _SHORT.get(name, name)
            shown = self.spec.param(name).choice_title(value)
            parts.append(f"{label} {shown}" if label else shown)
        return " · ".join(parts)

    def _update_tooltip(self) -> None:
        tip = f"<b>{self.spec.title}</b> <i>({self.node_id})</i><br>{self.spec.help}"
        if self._problem_text:
            color = style.ERROR.name() if self._severity == "error" else style.WARNING.name()
            tip += f"<hr><span style='color:{color}'>{self._problem_text}</span>"
        self.setToolTip(tip)

    # ------------------------------------------------------------------ geometry and painting
    def boundingRect(self) -> QRectF:  # noqa: N802
        m = style.NODE_OUTLINE_PROBLEM + 4
        return QRectF(-m, -m - style.NODE_BADGE_HEIGHT, style.NODE_WIDTH + 2 * m,
                      self._height + 2 * m + style.NODE_BADGE_HEIGHT)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.card_rect(), style.NODE_RADIUS, style.NODE_RADIUS)
        return path

    def card_rect(self) -> QRectF:
        return QRectF(0, 0, style.NODE_WIDTH, self._height)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        rect = self.card_rect()
        accent = style.group_color(self.spec.group)
        # shadow
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 70))
        painter.drawRoundedRect(rect.translated(3, 4), style.NODE_RADIUS, style.NODE_RADIUS)
        # body
        painter.setBrush(style.NODE_BODY)
        painter.drawRoundedRect(rect, style.NODE_RADIUS, style.NODE_RADIUS)
        # header
        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, style.NODE_WIDTH, style.NODE_HEADER + style.NODE_RADIUS),
                              style.NODE_RADIUS, style.NODE_RADIUS)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, style.NODE_WIDTH, style.NODE_HEADER))
        painter.setBrush(accent)
        painter.drawPath(header.intersected(clip))
        # a recurrent block gets a loop glyph in its header
        title_font = QFont(painter.font())
        title_font.setPointSizeF(10)
        title_font.setBold(True)
        painter.setFont(title_font)
        title = self.spec.title + ("  ⟳" if self.spec.recurrent else "")
        room = style.NODE_WIDTH - 20
        painter.setPen(QColor("white"))
        painter.drawText(QRectF(10, 3, room, style.NODE_TITLE_LINE), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         QFontMetricsF(title_font).elidedText(title, Qt.TextElideMode.ElideRight, room))
        small = QFont(painter.font())
        small.setPointSizeF(7.5)
        small.setBold(False)
        painter.setFont(small)
        painter.setPen(QColor(255, 255, 255, 200))
        painter.drawText(QRectF(10, 3 + style.NODE_TITLE_LINE, room, style.NODE_HEADER - style.NODE_TITLE_LINE - 5),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         QFontMetricsF(small).elidedText(self.node_id, Qt.TextElideMode.ElideMiddle, room))
        # port labels
        label_font = QFont(painter.font())
        label_font.setPointSizeF(8)
        painter.setFont(label_font)
        painter.setPen(style.NODE_DIM_TEXT)
        for port in self.inputs.values():
            y = port.pos().y()
            painter.drawText(QRectF(style.PORT_LABEL_GAP, y - 9, style.NODE_WIDTH / 2, 18),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, port.name)
        for port in self.outputs.values():
            y = port.pos().y()
            painter.drawText(QRectF(style.NODE_WIDTH / 2 - style.PORT_LABEL_GAP, y - 9, style.NODE_WIDTH / 2, 18),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, port.name)
        # summary and parameter count in the footer
        footer = QRectF(10, self._height - style.NODE_FOOTER - 2, style.NODE_WIDTH - 20, style.NODE_FOOTER)
        painter.setPen(style.NODE_BODY_TEXT)
        painter.drawText(footer, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         QFontMetricsF(label_font).elidedText(self.summary(), Qt.TextElideMode.ElideRight,
                                                              style.NODE_WIDTH * 0.68))
        if self._param_count:
            painter.setPen(style.NODE_DIM_TEXT)
            painter.drawText(footer, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                             human_count(self._param_count))
        # badges above the card
        self._paint_badges(painter, accent)
        # outline: selection beats problem beats plain
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if self._severity is not None:
            color = style.ERROR if self._severity == "error" else style.WARNING
            painter.setPen(QPen(color, style.NODE_OUTLINE_PROBLEM, Qt.PenStyle.DashLine if self._severity == "warning"
                                else Qt.PenStyle.SolidLine))
            painter.drawRoundedRect(rect.adjusted(-2, -2, 2, 2), style.NODE_RADIUS + 2, style.NODE_RADIUS + 2)
            self._paint_problem_mark(painter, color)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if self.isSelected():
            painter.setPen(QPen(style.SELECTION, style.NODE_OUTLINE_SELECTED))
        else:
            painter.setPen(QPen(style.NODE_OUTLINE_COLOR, style.NODE_OUTLINE))
        painter.drawRoundedRect(rect, style.NODE_RADIUS, style.NODE_RADIUS)

    def _paint_badges(self, painter: QPainter, accent: QColor) -> None:
        badges = self.badges()
        if not badges:
            return
        font = QFont(painter.font())
        font.setPointSizeF(7.5)
        font.setBold(True)
        painter.setFont(font)
        fm = QFontMetricsF(font)
        x = 6.0
        for text in badges:
            w = fm.horizontalAdvance(text) + 12
            r = QRectF(x, -style.NODE_BADGE_HEIGHT - 3, w, style.NODE_BADGE_HEIGHT)
            painter.setPen(QPen(accent.lighter(130), 1))
            painter.setBrush(accent.darker(160))
            painter.drawRoundedRect(r, 7, 7)
            painter.setPen(QColor("white"))
            painter.drawText(r, Qt.AlignmentFlag.AlignCenter, text)
            x += w + 4

    def _paint_problem_mark(self, painter: QPainter, color: QColor) -> None:
        c = QPointF(style.NODE_WIDTH - 2, 0)
        painter.setPen(QPen(style.NODE_OUTLINE_COLOR, 1.5))
        painter.setBrush(color)
        painter.drawEllipse(c, 9, 9)
        font = QFont(painter.font())
        font.setBold(True)
        font.setPointSizeF(9)
        painter.setFont(font)
        painter.setPen(QColor("#1b1b1b"))
        painter.drawText(QRectF(c.x() - 9, c.y() - 9, 18, 18), Qt.AlignmentFlag.AlignCenter, "!")

    # ------------------------------------------------------------------ interaction
    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value):  # noqa: N802, ANN001, ANN201
        scene: DesignScene | None = self.scene()  # type: ignore[assignment]
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and scene is not None:
            if getattr(scene, "user_dragging", False) and getattr(scene, "snap_to_grid", False):
                return QPointF(style.snap(value.x()), style.snap(value.y()))
        elif change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged and scene is not None:
            scene.node_item_moved(self)
        elif change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.setZValue(style.Z_NODE_SELECTED if self.isSelected() else style.Z_NODE)
        return super().itemChange(change, value)
