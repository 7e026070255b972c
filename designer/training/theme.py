"""Colours, colour maps and fixed levels of the training plots, as named constants.

The plots sit on the canvas's dark background. Gates are shown with a sequential map over their
whole range 0..1, states (c_t, h_t and the tanh candidates) with a diverging map over −1..1 — the
same levels at every step of training, so a colour always means the same value.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem, QSizePolicy

from engine.document import cells
from engine.document.cells import Gate

from ..canvas import style

PLOT_BG = style.CANVAS_BG.name()
AXIS = style.NODE_DIM_TEXT.name()
TEXT = style.NODE_BODY_TEXT.name()
GRID_ALPHA = 0.18

TRAIN_RAW = (95, 168, 255, 70)  # every step's loss, faint
TRAIN = "#5fa8ff"  # its running mean
VALIDATION = "#ffb347"
METRIC_COLORS = ("#66d17a", "#c58bff", "#ff7b9c", "#4dd0e1")
GRADIENT = "#ff7b9c"

GATE_LEVELS = (0.0, 1.0)
STATE_LEVELS = (-1.0, 1.0)
GATE_MAP = "viridis"
STATE_MAP = "CET-D1"  # blue — white — red
GRADIENT_MAP = "inferno"

# how each recorded state is titled (a cell's gates are titled by the cell registry)
SYMBOLS: dict[str, tuple[str, str]] = {
    "c": ("cell state", "cₜ"),
    "h": ("hidden state", "hₜ"),
    "y": ("output fed back", "yₜ"),
}
# a gate's colour follows its role in engine.document.cells.GATE_ROLES, whatever the cell
ROLE_COLORS = {"input": "#5fa8ff", "forget": "#ff7b9c", "output": "#66d17a", "reset": "#ffb347",
               "update": "#c58bff", "candidate": "#cfd3da"}


def symbol(name: str, cell: str | None = None) -> tuple[str, str]:
    """(words, symbol) of a probe array: the cell's own record when ``cell`` is a registered kind."""
    if cell is not None and cells.is_cell(cell):
        record = cells.cell(cell).record(name)
        if record is not None:
            return record.words, record.symbol
    return SYMBOLS.get(name, (name, name))


def levels_of(gate: Gate) -> tuple[float, float]:
    return GATE_LEVELS if gate.sigmoid else STATE_LEVELS


def role_color(gate: Gate) -> str:
    return ROLE_COLORS.get(gate.role, ROLE_COLORS["candidate"])


def colormap(name: str) -> pg.ColorMap:
    return pg.colormap.get(name)


def keyed_title(title: str, keys: list[tuple[str, str]]) -> str:
    """A plot title that names its curves in their colours (a legend that never covers a curve)."""
    named = " · ".join(f"<span style='color:{color}'>{text}</span>" for text, color in keys)
    return f"{title}: {named}" if title and named else (title or named)


def style_plot(plot: pg.PlotItem, title: str = "", bottom: str = "", left: str = "") -> None:
    """Dark-background axes with dim labels, as on the canvas."""
    plot.setTitle(title, color=TEXT, size="9pt")
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(AXIS, width=1))
        axis.setTextPen(pg.mkPen(AXIS))
        # an axis's ticks and labels are painted once into a pixmap and reused until its range or
        # size changes: a live curve's update no longer re-renders every tick label's text
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    plot.titleLabel.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    if bottom:
        plot.setLabel("bottom", bottom, color=AXIS, size="8pt")
    if left:
        plot.setLabel("left", left, color=AXIS, size="8pt")
    plot.hideButtons()
    plot.titleLabel.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # a long title never widens the plot


def layout_widget(object_name: str) -> pg.GraphicsLayoutWidget:
    widget = pg.GraphicsLayoutWidget()
    widget.setObjectName(object_name)
    widget.setBackground(PLOT_BG)
    widget.ci.setContentsMargins(4, 4, 4, 4)
    widget.ci.setSpacing(4)
    return widget
