"""The beam explorer as one of the window's panels (:class:`designer.panels.Panel`).

:class:`BeamDock` builds the :class:`~designer.beam.panel.BeamPanel` for a
:class:`~designer.panels.PanelHost`, with a Beam menu (``menuBeam``: step, back, run, reset, load,
export) whose shortcuts work wherever the focus is in the window. Using an action while the panel
is hidden shows it. The training panel hands it each trained model through
:meth:`BeamPanel.set_trained` (see :func:`designer.panels.standard_panels`).
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from ..panels import PanelHost
from .panel import BeamPanel

PANEL_KEY = "beam"
PANEL_TITLE = "Beam Search"


class BeamDock:
    """The beam panel and its menu, composed into a window through its host."""

    key = PANEL_KEY
    title = PANEL_TITLE
    area = Qt.DockWidgetArea.BottomDockWidgetArea

    def __init__(self, host: PanelHost) -> None:
        self.host = host
        self.panel = BeamPanel(host.document)
        for action in self.shortcut_actions():
            action.triggered.connect(lambda _checked=False: host.reveal_panel(self.key))

    @property
    def widget(self) -> QWidget:
        return self.panel

    def menu(self, parent: QWidget) -> QMenu:
        p = self.panel
        menu = QMenu("&Beam", parent)
        menu.setObjectName("menuBeam")
        for action in (p.actionStep, p.actionBack, p.actionRun, p.actionReset, None, p.actionLoad, None,
                       *p.export_actions.values()):
            menu.addSeparator() if action is None else menu.addAction(action)
        return menu

    def toolbar_actions(self) -> Sequence[QAction]:
        return ()

    def shortcut_actions(self) -> Sequence[QAction]:
        p = self.panel
        return (p.actionStep, p.actionBack, p.actionRun, p.actionReset, p.actionLoad)

    def shutdown(self) -> None:
        """Nothing runs in the background: decoding happens on the GUI thread, a step at a time."""
