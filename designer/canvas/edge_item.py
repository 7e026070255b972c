"""An edge: a curved wire from an output port to an input port, labelled with the shape it carries."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem, QWidget

from engine.document.design import Edge

from . import style
from .port_item import PortItem

BACK_CLEARANCE = 24.0  # how far a wire that runs back keeps from the blocks it leaves and enters
LANE_GAP_MIN = 12.0  # a gap between two blocks this tall carries a wire running back between them


def wire_path(a: QPointF, b: QPointF, source: QRectF | None = None, target: QRectF | None = None) -> QPainterPath:
    """The path a wire follows from output ``a`` to input ``b``: an S-curve leaving ``a`` to the
    right and entering ``b`` from the left. When ``b`` lies behind ``a`` (left of it, or too close
    for a curve) and the blocks' rectangles ``source`` / ``target`` are given, the wire goes around
    its own block instead of through it (:func:`back_route`)."""
    if source is not None and b.x() < a.x() + 2 * BACK_CLEARANCE:
        return back_route(a, b, source, target if target is not None else QRectF(b, b))
    dx = max(abs(b.x() - a.x()) * style.EDGE_CURVE, style.EDGE_CURVE_MIN)
    path = QPainterPath(a)
    path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
    return path


def back_route(a: QPointF, b: QPointF, source: QRectF, target: QRectF) -> QPainterPath:
    """A wire running back: right out of ``a``, along a lane clear of both blocks — the gap between
    them when there is one, else below (or above) both — and into ``b`` from the left, with
    rounded corners."""
    r = BACK_CLEARANCE
    if target.top() - source.bottom() >= LANE_GAP_MIN:
        lane = (source.bottom() + target.top()) / 2
    elif source.top() - target.bottom() >= LANE_GAP_MIN:
        lane = (target.bottom() + source.top()) / 2
    elif b.y() >= a.y():
        lane = max(source.bottom(), target.bottom()) + r
    else:
        lane = min(source.top(), target.top()) - r
    x1, x2 = a.x() + r, b.x() - r
    return _rounded([a, QPointF(x1, a.y()), QPointF(x1, lane), QPointF(x2, lane), QPointF(x2, b.y()), b], r)


def _rounded(points: list[QPointF], radius: float) -> QPainterPath:
    """A polyline through ``points`` whose corners are rounded (each by at most half its shorter leg)."""
    path = QPainterPath(points[0])
    for prev, here, after in zip(points, points[1:], points[2:]):
        leg_in, leg_out = here - prev, after - here
        len_in, len_out = (leg_in.x() ** 2 + leg_in.y() ** 2) ** 0.5, (leg_out.x() ** 2 + leg_out.y() ** 2) ** 0.5
        if len_in < 1e-6 or len_out < 1e-6:
            continue
        rr = min(radius, len_in / 2, len_out / 2)
        path.lineTo(here - leg_in * (rr / len_in))
        path.quadTo(here, here + leg_out * (rr / len_out))
    path.lineTo(points[-1])
    return path


def block_rect(port: PortItem) -> QRectF | None:
    """The card of the block ``port`` belongs to (with the badges above it), in scene coordinates."""
    node = port.parentItem()
    card = getattr(node, "card_rect", None)
    if card is None:
        return None
    return node.mapRectToScene(card().adjusted(0, -style.NODE_BADGE_HEIGHT, 0, 0))


EDGE_HIT_WIDTH = 10.0  # how wide a band around the wire takes clicks and hovers (its shape)
# how far the bounds reach past the path: the hit band or the selected wire's pen, whichever is wider
EDGE_BOUNDS_MARGIN = max(EDGE_HIT_WIDTH, style.EDGE_WIDTH_SELECTED + 3) / 2 + 1


class EdgeItem(QGraphicsPathItem):
    """A wire between two ports.

    Its bounds include the shape label, whose text and place depend on where the ports are. Qt's
    scene index files an item under the rectangle ``boundingRect()`` gave when it was indexed and
    removes it under the one given at ``prepareGeometryChange()``: the two must be the same, or the
    index keeps a pointer to the wire after it is deleted (the crash of issue 14). So the geometry
    (path, shown label, label box, bounds) is computed only in :meth:`_refresh_geometry`, right after
    ``prepareGeometryChange()`` in every method that changes it, and ``boundingRect()`` returns it.
    """

    def __init__(self, edge: Edge, source: PortItem, target: PortItem) -> None:
        super().__init__()
        self.edge = edge
        self.source = source
        self.target = target
        self._label = ""
        self._shown_label = ""  # what is drawn: the label, shortened, or nothing where it does not fit
        self._label_box = QRectF()  # empty when no label is drawn
        self._bounds = QRectF()
        self._problem: str | None = None
        self._label_font = QFont()
        self._label_font.setPointSizeF(7.5)
        self.setZValue(style.Z_EDGE)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setToolTip(str(edge))
        self.update_path()

    # ------------------------------------------------------------------ state
    @property
    def label(self) -> str:
        return self._label

    def set_label(self, text: str) -> None:
        if text != self._label:
            self.prepareGeometryChange()
            self._label = text
            self._refresh_geometry()
            self._update_tooltip()
            self.update()

    @property
    def problem(self) -> str | None:
        return self._problem

    def set_problem(self, message: str | None) -> None:
        if message != self._problem:
            self._problem = message
            self._update_tooltip()
            self.update()

    def _update_tooltip(self) -> None:
        tip = str(self.edge)
        if self._label:
            tip += f"<br>carries {self._label}"
        if self._problem:
            tip += f"<hr><span style='color:{style.ERROR.name()}'>{self._problem}</span>"
        self.setToolTip(tip)

    def update_path(self) -> None:
        """Follow the ports (a node moved): new path, label and bounds, announced before they change."""
        self.prepareGeometryChange()
        self.setPath(wire_path(self.source.anchor(), self.target.anchor(), block_rect(self.source),
                               block_rect(self.target)))
        self._refresh_geometry()

    # ------------------------------------------------------------------ geometry and painting
    def shown_label(self) -> str:
        """The shape text drawn on the wire: in full where it fits between the ports, else shortened
        (the tooltip always has it in full). As of the last :meth:`update_path` or :meth:`set_label`."""
        return self._shown_label

    def _refresh_geometry(self) -> None:
        """Recompute what ``boundingRect()``, ``shape()`` and ``paint()`` use. Call it only right after
        ``prepareGeometryChange()``: then the scene index hears of the change before it happens."""
        self._shown_label = self._fitting_label()
        self._label_box = self._label_rect_for(self._shown_label)
        bounds = self.path().boundingRect().adjusted(-EDGE_BOUNDS_MARGIN, -EDGE_BOUNDS_MARGIN,
                                                     EDGE_BOUNDS_MARGIN, EDGE_BOUNDS_MARGIN)
        if not self._label_box.isEmpty():  # no label: no box (an empty QRectF is not "nothing" to united())
            bounds = bounds.united(self._label_box.adjusted(-2, -2, 2, 2))
        self._bounds = bounds

    def _fitting_label(self) -> str:
        if not self._label:
            return ""
        fm = QFontMetricsF(self._label_font)
        path = self.path()
        a, b = path.pointAtPercent(0.0), path.pointAtPercent(1.0)
        dx, dy = b.x() - a.x(), abs(b.y() - a.y())
        if dy > 3 * fm.height():
            return self._label
        room = dx - 2 * style.PORT_HOVER_RADIUS - 2 * style.EDGE_LABEL_PAD
        compact = self._label.replace(" ", "").replace("(B,", "(")
        for text in (self._label, compact):
            if fm.horizontalAdvance(text) <= room:
                return text
        return ""

    def _label_rect(self) -> QRectF:
        """Where the label is drawn; empty when none is."""
        return QRectF(self._label_box)

    def _label_rect_for(self, text: str) -> QRectF:
        if not text:
            return QRectF()
        fm = QFontMetricsF(self._label_font)
        w = fm.horizontalAdvance(text) + 2 * style.EDGE_LABEL_PAD + 2
        h = fm.height() + style.EDGE_LABEL_PAD
        mid = self.path().pointAtPercent(0.5)
        return QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(self._bounds)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(EDGE_HIT_WIDTH)
        path = stroker.createStroke(self.path())
        if self._shown_label:
            path.addRect(self._label_box)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = self.source.color
        width = style.EDGE_WIDTH_SELECTED if self.isSelected() else style.EDGE_WIDTH
        pen_style = Qt.PenStyle.SolidLine
        if self._problem:
            color, pen_style = style.ERROR, Qt.PenStyle.DashLine
        if self.isSelected():
            painter.setPen(QPen(style.SELECTION, width + 3))
            painter.drawPath(self.path())
        painter.setPen(QPen(color, width, pen_style, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        text = self._shown_label
        if text:
            r = QRectF(self._label_box)
            painter.setPen(QPen(style.ERROR if self._problem else QColor(color).darker(120), 1))
            painter.setBrush(style.EDGE_LABEL_BG)
            painter.drawRoundedRect(r, r.height() / 2, r.height() / 2)
            painter.setFont(self._label_font)
            painter.setPen(style.EDGE_LABEL_TEXT)
            painter.drawText(r, Qt.AlignmentFlag.AlignCenter, text)
