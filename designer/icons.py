"""Icons: one per block kind from the bundled ``icons/<kind>.svg`` (:func:`engine.resources.asset`),
painted in the group colour when a kind has no file (a cell registered by a plugin)."""
from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from engine.document import cells
from engine.document.blocks import BLOCKS
from engine.resources import asset

ICONS = asset("icons")
ICON_SIZE = 24


@cache
def block_icon(kind: str) -> QIcon:
    path = ICONS / f"{kind}.svg"
    if path.is_file():
        icon = QIcon(str(path))
        if not icon.isNull() and not icon.pixmap(ICON_SIZE, ICON_SIZE).isNull():
            return icon
    return _painted(kind)


def _painted(kind: str) -> QIcon:
    """A kind without an icon file: its group's colour with the cell's abbreviation (a registered
    cell's) or the title's first letter."""
    from .canvas.style import group_color

    spec = BLOCKS.get(kind)
    label = cells.cell(kind).abbreviation if cells.is_cell(kind) else (spec.title if spec else kind)[:1].upper()
    return _label_icon(label, group_color(spec.group) if spec else QColor("#777"))


def _label_icon(label: str, color: QColor) -> QIcon:
    pix = QPixmap(ICON_SIZE * 2, ICON_SIZE * 2)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    p.drawRoundedRect(QRectF(1, 1, ICON_SIZE * 2 - 2, ICON_SIZE * 2 - 2), 10, 10)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(22 if len(label) == 1 else max(10, 44 // max(len(label), 1)))
    p.setFont(font)
    p.setPen(QColor("white"))
    p.drawText(pix.rect(), Qt.AlignmentFlag.AlignCenter, label)
    p.end()
    return QIcon(pix)


@cache
def app_icon() -> QIcon:
    """The window's icon: a recurrent cell's square, labelled RNN."""
    from .canvas.style import group_color

    return _label_icon("RNN", group_color("Cells"))
