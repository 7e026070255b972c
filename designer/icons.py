"""Icons: one per block kind from the bundled ``icons/<kind>.svg`` (:func:`engine.resources.asset`),
painted in the group colour when a kind has no file (a cell registered by a plugin)."""
from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

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
    from .canvas.style import group_color

    spec = BLOCKS.get(kind)
    pix = QPixmap(ICON_SIZE * 2, ICON_SIZE * 2)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(group_color(spec.group) if spec else QColor("#777"))
    p.drawRoundedRect(QRectF(1, 1, ICON_SIZE * 2 - 2, ICON_SIZE * 2 - 2), 10, 10)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(22)
    p.setFont(font)
    p.setPen(QColor("white"))
    p.drawText(pix.rect(), Qt.AlignmentFlag.AlignCenter, (spec.title if spec else kind)[:1].upper())
    p.end()
    return QIcon(pix)


@cache
def app_icon() -> QIcon:
    return block_icon("lstm")
