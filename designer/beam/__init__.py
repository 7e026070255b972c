"""The beam explorer: step through beam search on a trained decoder, on a tree that grows.

One idea per file: :mod:`.layout` (where tree nodes go, networkx, no Qt), :mod:`.tree_items`
(a node and an edge), :mod:`.scene` (the scene mirroring the engine's tree), :mod:`.view` (zoom,
pan, fit, click to force), :mod:`.ranking` (the current beam and the n-best list),
:mod:`.controls` (source and settings), :mod:`.model_source` (the decoder and its vocabularies),
:mod:`.export` (PNG, SVG, JSON, DOT), :mod:`.panel` (all of it together); sizes and colours
in :mod:`.style`.

The window gets the panel with :func:`install_beam_panel`; the training panel hands it each
trained model through :meth:`BeamPanel.set_trained`.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from .panel import SHORTCUTS, BeamPanel

__all__ = ["BeamPanel", "SHORTCUTS", "install_beam_panel"]

PANEL_KEY = "beam"
PANEL_TITLE = "Beam Search"


def install_beam_panel(window: Any) -> BeamPanel:
    """Create the panel for ``window`` (a :class:`designer.main_window.MainWindow`), dock it with
    ``window.add_panel`` and, when the window has a menu bar, add a "Beam" menu with the search
    actions (``actionBeamStep``, ``actionBeamBack``, ``actionBeamRun``, reset, load, export).
    Using an action while the panel is hidden shows it."""
    panel = BeamPanel(getattr(window, "document", None), window)
    dock = window.add_panel(PANEL_KEY, PANEL_TITLE, panel, Qt.DockWidgetArea.BottomDockWidgetArea)

    def reveal() -> None:
        if dock is not None and not dock.isVisible():
            dock.show()
        if dock is not None:
            dock.raise_()

    for action in (panel.actionStep, panel.actionBack, panel.actionRun, panel.actionReset, panel.actionLoad):
        action.triggered.connect(reveal)
        window.addAction(action)  # the shortcuts work wherever the focus is in the window
    bar = window.menuBar() if hasattr(window, "menuBar") else None
    if bar is not None:
        menu = bar.addMenu("&Beam")
        menu.setObjectName("menuBeam")
        for action in (panel.actionStep, panel.actionBack, panel.actionRun, panel.actionReset, None,
                       panel.actionLoad, None, *panel.export_actions.values()):
            menu.addSeparator() if action is None else menu.addAction(action)
        help_menu = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
        if help_menu is not None:  # keep Help last
            bar.insertMenu(help_menu, menu)
    return panel
