"""Sizes, z-values and colours of everything drawn on the canvas, as named constants."""
from __future__ import annotations

from PySide6.QtGui import QColor

# ---------------------------------------------------------------- grid
GRID = 20  # snapping step and minor grid line spacing, scene units
GRID_MAJOR = 5  # a major line every GRID_MAJOR minor lines

# ---------------------------------------------------------------- nodes
NODE_WIDTH = 170
NODE_HEADER = 40  # title line and id line
NODE_TITLE_LINE = 18
NODE_PORT_ROW = 22
NODE_BODY_PAD = 8
NODE_FOOTER = 22
NODE_RADIUS = 8
NODE_BADGE_HEIGHT = 16
NODE_OUTLINE = 1.2
NODE_OUTLINE_SELECTED = 2.4
NODE_OUTLINE_PROBLEM = 2.6

# ---------------------------------------------------------------- automatic layout (Arrange)
LAYOUT_DX = NODE_WIDTH + 110  # column pitch: room for the shape label on each wire
LAYOUT_DY = 150  # row pitch

# ---------------------------------------------------------------- ports
PORT_RADIUS = 6
PORT_HOVER_RADIUS = 8
PORT_LABEL_GAP = 10

# ---------------------------------------------------------------- edges
EDGE_WIDTH = 2.2
EDGE_WIDTH_SELECTED = 3.4
EDGE_CURVE = 0.5  # control-point distance as a fraction of the horizontal span (min EDGE_CURVE_MIN)
EDGE_CURVE_MIN = 60
EDGE_LABEL_PAD = 4

# ---------------------------------------------------------------- z-values
Z_EDGE = 0
Z_EDGE_LABEL = 1
Z_NODE = 10
Z_NODE_SELECTED = 11
Z_WIRE = 20
Z_TOAST = 30

# ---------------------------------------------------------------- zoom
ZOOM_STEP = 1.15
ZOOM_MIN = 0.2
ZOOM_MAX = 3.0

# ---------------------------------------------------------------- colours
CANVAS_BG = QColor("#24262b")
GRID_MINOR = QColor("#2d3036")
GRID_MAJOR_COLOR = QColor("#363a41")
NODE_BODY = QColor("#34373e")
NODE_BODY_TEXT = QColor("#e8e9ec")
NODE_DIM_TEXT = QColor("#a3a8b3")
NODE_OUTLINE_COLOR = QColor("#16171a")
SELECTION = QColor("#ffd54a")
ERROR = QColor("#ff5c5c")
WARNING = QColor("#ffb347")
OK = QColor("#66d17a")
EDGE_LABEL_BG = QColor("#1b1c20")
EDGE_LABEL_TEXT = QColor("#cfd3da")
TOAST_BG = QColor("#5a1f24")
TOAST_TEXT = QColor("#ffe9e9")

GROUP_COLORS: dict[str, QColor] = {
    "Inputs": QColor("#2a9d8f"),
    "Cells": QColor("#6c63ff"),
    "Layers": QColor("#5b7083"),
    "Readouts": QColor("#d08c2b"),
    "Sequence to sequence": QColor("#c2477a"),
    "Heads": QColor("#3f9c4a"),
}
DEFAULT_GROUP_COLOR = QColor("#777777")

PORT_COLORS: dict[str, QColor] = {
    "tokens": QColor("#f4a259"),
    "class": QColor("#f6d55c"),
    "seq": QColor("#5fa8ff"),
    "vector": QColor("#7bd389"),
}


def group_color(group: str) -> QColor:
    return GROUP_COLORS.get(group, DEFAULT_GROUP_COLOR)


def port_color(accepts: tuple[str, ...]) -> QColor:
    return PORT_COLORS.get(accepts[0], DEFAULT_GROUP_COLOR) if accepts else DEFAULT_GROUP_COLOR


def snap(value: float) -> float:
    return round(value / GRID) * GRID
