"""A time × unit heatmap with fixed colour levels, token labels on its time axis and a hover read-out.

:class:`Heatmap` wraps one ``PlotItem`` and one ``ImageItem`` created once and fed with
``setImage(autoLevels=False)``. The image is indexed ``values[t, unit]``: time runs along x,
units up y. :class:`HeatmapView` is the ``GraphicsLayoutWidget`` the gate, state and gradient
plots derive from; hovering one of its heatmaps shows the time step (with the token read there),
the unit and the value as a tooltip, kept in :attr:`HeatmapView.hover_text`.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QToolTip

from . import theme

LABEL_CHAR_PX = 7  # a rough width per character of a tick label
LABEL_PAD_PX = 6


def tick_stride(count: int, width_px: float, longest: int) -> int:
    """Label every n-th of ``count`` steps so labels ``longest`` characters wide do not overlap."""
    if count <= 0 or width_px <= 0:
        return 1
    need = longest * LABEL_CHAR_PX + LABEL_PAD_PX
    return max(1, math.ceil(need / (width_px / count)))


def time_ticks(labels: list[str], count: int, width_px: float, emphasis: set[int] = frozenset()) -> list[tuple[float, str]]:
    """(position, label) of the time-axis ticks: every n-th step, and every emphasised one (the
    regular ticks too close to an emphasised one give way)."""
    stride = tick_stride(count, width_px, max((len(lab) for lab in labels), default=1))
    steps = {t for t in range(0, count, stride) if all(abs(t - e) >= stride for e in emphasis)}
    steps |= {e for e in emphasis if 0 <= e < count}
    return [(t + 0.5, labels[t] if t < len(labels) else str(t)) for t in sorted(steps)]


def log_safe(values: np.ndarray) -> np.ndarray:
    """A log axis cannot show 0 or NaN: those points are left out (NaN breaks the line there)."""
    out = np.asarray(values, dtype=np.float64).copy()
    out[~(out > 0)] = np.nan
    return out


def shown_token(label: str) -> str:
    return "␣" if label == " " else label


class Heatmap:
    """One heatmap; ``value_name`` says what a value is in the read-out ("forget gate fₜ")."""

    def __init__(self, plot: pg.PlotItem, value_name: str, levels: tuple[float, float], cmap: str,
                 unit_name: str = "unit") -> None:
        self.plot = plot
        self.value_name = value_name
        self.unit_name = unit_name
        self.levels = levels
        self.image = pg.ImageItem(axisOrder="col-major")
        self.image.setColorMap(theme.colormap(cmap))
        self.image.setLevels(levels)
        plot.addItem(self.image)
        plot.setMenuEnabled(False)
        plot.getViewBox().setDefaultPadding(0)
        self.values: np.ndarray | None = None
        self.labels: list[str] = []
        self.emphasis: set[int] = set()
        self.describe_step: Callable[[int], str] | None = None
        self.describe_unit: Callable[[int], str] | None = None  # default: "unit 12"
        plot.getViewBox().sigResized.connect(self._update_ticks)

    def set_style(self, value_name: str, levels: tuple[float, float], cmap: str, title: str) -> None:
        """What this heatmap shows now (a gate's slot turns into a candidate's when the block changes)."""
        self.value_name = value_name
        if levels != self.levels:
            self.levels = levels
            self.image.setLevels(levels)
        self.image.setColorMap(theme.colormap(cmap))
        self.plot.setTitle(title, color=theme.TEXT, size="9pt")

    def set_values(self, values: np.ndarray, labels: list[str] | None = None,
                   describe_step: Callable[[int], str] | None = None, emphasis: set[int] | None = None) -> None:
        """Show ``values`` (T, units); ``labels[t]`` names step t on the time axis, and the steps in
        ``emphasis`` keep their labels however crowded the axis is."""
        values = np.asarray(values, dtype=np.float32)
        reshaped = self.values is None or self.values.shape != values.shape
        self.values = values
        self.image.setImage(values, autoLevels=False, levels=self.levels)
        self.describe_step = describe_step
        labels = labels if labels is not None else [str(t) for t in range(values.shape[0])]
        if reshaped:
            t, u = values.shape
            self.plot.getViewBox().setLimits(xMin=0, xMax=max(t, 1), yMin=0, yMax=max(u, 1))
            self.plot.setRange(xRange=(0, t), yRange=(0, u), padding=0)
        emphasis = set(emphasis or ())
        if reshaped or labels != self.labels or emphasis != self.emphasis:
            self.labels = list(labels)
            self.emphasis = emphasis
            self._update_ticks()

    def clear(self) -> None:
        self.values = None
        self.labels = []
        self.image.clear()
        self.plot.getAxis("bottom").setTicks(None)

    def _update_ticks(self) -> None:
        if self.values is None:
            return
        count = self.values.shape[0]
        labels = [shown_token(lab) for lab in self.labels] or [str(t) for t in range(count)]
        width = self.plot.getViewBox().width()
        self.plot.getAxis("bottom").setTicks([time_ticks(labels, count, width, self.emphasis), []])

    # ------------------------------------------------------------------ reading a cell
    def cell_at(self, scene_pos: QPointF) -> tuple[int, int] | None:
        """(time step, unit) under ``scene_pos``, or None outside the image."""
        if self.values is None or not self.plot.isVisible():
            return None
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = vb.mapSceneToView(scene_pos)
        t, u = int(math.floor(p.x())), int(math.floor(p.y()))
        if 0 <= t < self.values.shape[0] and 0 <= u < self.values.shape[1]:
            return t, u
        return None

    def describe(self, t: int, u: int) -> str:
        """The read-out of one cell: time step, what was read there, unit and value."""
        assert self.values is not None
        v = float(self.values[t, u])
        value = "— (past the sequence's end)" if math.isnan(v) else f"{v:.3f}"
        token = self.describe_step(t) if self.describe_step is not None else ""
        where = f"t = {t}" + (f", {token}" if token else "")
        unit = self.describe_unit(u) if self.describe_unit is not None else f"{self.unit_name} {u}"
        return f"{where}\n{unit}\n{self.value_name} = {value}"


class HeatmapView(pg.GraphicsLayoutWidget):
    """A plot widget holding heatmaps, with the hover read-out for all of them."""

    def __init__(self, object_name: str) -> None:
        super().__init__()
        self.setObjectName(object_name)
        self.setBackground(theme.PLOT_BG)
        self.ci.setContentsMargins(4, 4, 4, 4)
        self.ci.setSpacing(6)
        self.heatmaps: list[Heatmap] = []
        self.hover_text = ""
        self.scene().sigMouseMoved.connect(self.hover_at)

    def add_heatmap(self, row: int | None, col: int, title: str, value_name: str, levels: tuple[float, float],
                    cmap: str, left: str = "unit", unit_name: str = "unit") -> Heatmap:
        """A heatmap at (row, col) of the layout; ``row=None``: not placed yet (see :meth:`place`)."""
        plot = pg.PlotItem()
        if row is not None:
            self.ci.addItem(plot, row=row, col=col)
        theme.style_plot(plot, title, "", left)
        heatmap = Heatmap(plot, value_name, levels, cmap, unit_name)
        self.heatmaps.append(heatmap)
        return heatmap

    def place(self, item: pg.GraphicsObject | pg.GraphicsWidget, row: int, col: int, rowspan: int = 1,
              colspan: int = 1) -> None:
        self.ci.addItem(item, row=row, col=col, rowspan=rowspan, colspan=colspan)

    def unplace(self, item: pg.GraphicsObject | pg.GraphicsWidget) -> None:
        if item in self.ci.items:
            self.ci.removeItem(item)

    def color_bar(self, levels: tuple[float, float], cmap: str, label: str) -> pg.ColorBarItem:
        bar = pg.ColorBarItem(values=levels, colorMap=theme.colormap(cmap), label=label, interactive=False,
                              width=12, colorMapMenu=False)
        bar.getAxis("right").setPen(pg.mkPen(theme.AXIS))
        bar.getAxis("right").setTextPen(pg.mkPen(theme.AXIS))
        bar.getAxis("left").setPen(pg.mkPen(theme.AXIS))
        return bar

    def hover_at(self, scene_pos: QPointF) -> str:
        """Show the read-out of the cell under ``scene_pos`` (what moving the mouse calls)."""
        for heatmap in self.heatmaps:
            cell = heatmap.cell_at(scene_pos)
            if cell is not None:
                self.hover_text = heatmap.describe(*cell)
                if self.isVisible():
                    QToolTip.showText(QCursor.pos(), self.hover_text, self)
                return self.hover_text
        if self.hover_text:
            QToolTip.hideText()
        self.hover_text = ""
        return ""
