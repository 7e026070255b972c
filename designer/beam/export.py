"""Writing the tree out: a PNG or SVG picture of the scene, or the engine's JSON / Graphviz DOT.

The pictures are the whole scene (not just what is in view) at one pixel per scene unit, so a
PNG's size is the scene's size; the JSON is :func:`engine.beam.tree_to_dict`, the format
``rnn-designer decode --tree`` writes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QFrame, QGraphicsScene, QGraphicsView, QWidget

from engine.errors import DesignerError

PICTURES = (".png", ".svg")
DATA = (".json", ".dot", ".gv")
SUFFIXES = PICTURES + DATA
FILTERS = {
    ".png": "PNG image (*.png)",
    ".svg": "SVG drawing (*.svg)",
    ".json": "Search tree, JSON (*.json)",
    ".dot": "Graphviz DOT (*.dot)",
}


def scene_size(scene: QGraphicsScene) -> QSize:
    """The picture's size in pixels: the scene rect's, rounded up."""
    rect = scene.sceneRect()
    return QSize(max(1, int(round(rect.width()))), max(1, int(round(rect.height()))))


def render_scene(scene: QGraphicsScene, painter: QPainter, size: QSize) -> None:
    """Draw the whole scene rect into ``painter`` at one pixel per scene unit.

    Drawn through a throw-away view rather than ``QGraphicsScene.render``: PySide6 6.12 drops a
    reference to ``None`` each time a Python ``QGraphicsItem.paint`` is called without a widget
    (as ``QGraphicsScene.render`` does), and a few exports of a large tree then crash the
    interpreter. A view always passes its viewport."""
    view = QGraphicsView(scene)
    view.setFrameShape(QFrame.Shape.NoFrame)
    view.resetTransform()
    source = view.mapFromScene(scene.sceneRect()).boundingRect()
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    view.render(painter, QRectF(0, 0, size.width(), size.height()), source,
                Qt.AspectRatioMode.IgnoreAspectRatio)
    view.setScene(None)
    view.deleteLater()


def render_image(scene: QGraphicsScene) -> QImage:
    size = scene_size(scene)
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(scene.backgroundBrush().color())
    painter = QPainter(image)
    render_scene(scene, painter, size)
    painter.end()
    return image


def export_png(scene: QGraphicsScene, path: str | Path) -> Path:
    path = Path(path)
    if not render_image(scene).save(str(path), "PNG"):
        raise DesignerError(f"{path}: the PNG could not be written (is the folder there and writable?)")
    return path


def export_svg(scene: QGraphicsScene, path: str | Path, title: str = "Beam search tree") -> Path:
    path = Path(path)
    size = scene_size(scene)
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(size)
    generator.setViewBox(QRectF(0, 0, size.width(), size.height()))
    generator.setTitle(title)
    generator.setDescription("Written by RNN Designer's beam explorer")
    painter = QPainter()
    if not painter.begin(generator):
        raise DesignerError(f"{path}: the SVG could not be written (is the folder there and writable?)")
    render_scene(scene, painter, size)
    painter.end()
    if not path.exists() or path.stat().st_size == 0:
        raise DesignerError(f"{path}: the SVG could not be written (is the folder there and writable?)")
    return path


def export_tree(scene: QGraphicsScene, search: Any, path: str | Path) -> Path:
    """Write ``path`` by its suffix: ``.png``/``.svg`` picture, ``.json``/``.dot`` the engine's tree."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DesignerError(f"{path}: export as .png, .svg, .json or .dot, not {suffix or 'a name without extension'}")
    if suffix == ".png":
        return export_png(scene, path)
    if suffix == ".svg":
        return export_svg(scene, path)
    from engine.beam import save_tree

    try:
        save_tree(search, path)
    except OSError as exc:
        raise DesignerError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    return path


def ask_export_path(parent: QWidget, suffix: str, beside: str | Path | None, source_text: str) -> Path | None:
    """Ask where to export (a save dialog named after the source, beside the open design file)."""
    base = "beam-tree"
    if source_text:
        base = "beam-" + "".join(ch if ch.isalnum() else "-" for ch in source_text)[:40].strip("-")
    folder = Path(beside).parent if beside else Path.home()
    chosen, _ = QFileDialog.getSaveFileName(parent, "Export beam search tree", str(folder / f"{base}{suffix}"),
                                            FILTERS[suffix])
    if not chosen:
        return None
    return Path(chosen if chosen.lower().endswith(suffix) else chosen + suffix)
