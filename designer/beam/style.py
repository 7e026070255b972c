"""Sizes, z-values, colours and timings of the beam-search tree, as named constants."""
from __future__ import annotations

from PySide6.QtGui import QColor

# ---------------------------------------------------------------- geometry (scene units)
NODE_WIDTH = 100
KEPT_HEIGHT = 28  # a hypothesis chosen into the beam (or the root)
PRUNED_HEIGHT = 19  # a candidate the search looked at and rejected
COLUMN_PITCH = 140  # one column per generated token
NODE_RADIUS = 6
SCENE_MARGIN = 36
HEADER_GAP = 16  # between a column's header and its topmost node
TEXT_PAD = 6

# ---------------------------------------------------------------- z-values
Z_BAND = -10
Z_EDGE = 0
Z_EDGE_PATH = 1  # edges on the hovered node's path
Z_NODE = 10
Z_NODE_HOVER = 12
Z_HEADER = 5
Z_LABEL = 20  # the zoom-proof labels of the chosen path and the beam, over everything

# ---------------------------------------------------------------- zoom
ZOOM_STEP = 1.2
ZOOM_MIN = 0.04
ZOOM_MAX = 4.0
FIT_MAX = 1.0  # fitting never magnifies past 100%
TEXT_MIN_SCALE = 0.3  # below this zoom nodes are drawn as plain coloured boxes, without text
FOLLOW_ZOOM_MIN = 0.75  # following the beam zooms out to show it, but not past readable
LABEL_ZOOM = 0.7  # below this zoom the chosen path, the beam and the n-best get labels of a fixed size
LABEL_PX = 12  # those labels' font, in pixels whatever the zoom
FIT_FOLLOW_MIN = 0.3  # after Fit, steps keep fitting the grown tree down to this zoom, then scroll instead

# ---------------------------------------------------------------- animation
ANIMATION_MS = 220  # new nodes grow out of their parents this fast; 0 = instant

# ---------------------------------------------------------------- colours (dark, like the canvas)
BACKGROUND = QColor("#1f2126")
BAND = QColor("#25282e")  # every other column
HEADER_TEXT = QColor("#8f96a3")
TEXT = QColor("#eef0f3")
DIM_TEXT = QColor("#b9bfca")

ROOT_FILL = QColor("#4b5160")
ROOT_BORDER = QColor("#9aa3b5")
ALIVE_FILL = QColor("#1f4f99")  # on the path of a hypothesis still in the search
ALIVE_BORDER = QColor("#6ea8ff")
BEAM_FILL = QColor("#2a6fdb")  # in the current beam
BEAM_BORDER = QColor("#ffd54a")  # highlight of the current beam
FINISHED_FILL = QColor("#1d6b3a")
FINISHED_BORDER = QColor("#5fe08a")
MAX_LEN_BORDER = QColor("#f0b44c")  # finished by reaching the maximum length, not by <eos>
PRUNED_FILL = QColor("#3a3d45")
PRUNED_BORDER = QColor("#5d626d")
PRUNED_TEXT = QColor("#aab0ba")
FORCED_MARK = QColor("#d78bff")  # what-if: decoding was forced through this node
BADGE_FILL = QColor("#ffd54a")
BADGE_TEXT = QColor("#1f2126")
RESULT_BADGE_FILL = QColor("#5fe08a")

EDGE_ALIVE = QColor("#6ea8ff")
EDGE_FINISHED = QColor("#5fe08a")
EDGE_PRUNED = QColor("#6b707b")
EDGE_PATH = QColor("#ffd54a")  # the hovered node's path from the root

LABEL_FILL = QColor(20, 22, 26, 225)  # behind a zoom-proof label

PRUNED_OPACITY = 0.5  # rejected candidates and lines that died out are faded
EDGE_WIDTH = 1.6
EDGE_WIDTH_KEPT = 2.4
EDGE_WIDTH_PATH = 3.2
