"""How the window composes its panels (training, beam search, …): a small typed interface.

A panel is built by a factory that receives the window as a :class:`PanelHost` — what a panel may
use of it — and returns :class:`Panel` objects. The window then asks each panel for its dock
widget, its menu (placed before Help) and its toolbar actions; nothing is patched onto the window
and nothing is looked up by its visible text::

    window = MainWindow(panels=standard_panels)          # the training and beam panels
    window = MainWindow(panels=lambda host: [MyPanel(host)])
    window = MainWindow(panels=lambda host: [])          # the designer alone

:class:`PanelDocking` is the window's half of the contract (the base of
:class:`~designer.main_window.MainWindow`): it docks the panels, keeps them by key, and hands
them back (:meth:`PanelDocking.panel`). Panels that lock the design while they work do it through
the document (:meth:`designer.document.DesignDocument.set_editable`), never through the window.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from PySide6.QtCore import Qt, SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QToolBar, QWidget

if TYPE_CHECKING:
    from .document import DesignDocument


class PanelHost(Protocol):
    """What a panel may use of the window that holds it."""

    document: DesignDocument
    nodes_selected: SignalInstance  # emits list[str]: the canvas selection, in the document's order

    def reveal_panel(self, key: str, height_share: float | None = None) -> None:
        """Show and raise the panel's dock; ``height_share``: at least this share of the window's height."""

    def show_status(self, text: str) -> None:
        """A short message in the window's status bar."""


@runtime_checkable
class Panel(Protocol):
    """One panel of the window: a dock, and optionally a menu, toolbar actions and shortcuts."""

    key: str  # names the dock (``f"{key}Dock"``) and finds the panel again: ``window.panel(key)``
    title: str  # the dock's title
    area: Qt.DockWidgetArea  # where it docks; bottom panels are tabbed with Problems

    @property
    def widget(self) -> QWidget:
        """The dock's contents."""

    def menu(self, parent: QWidget) -> QMenu | None:
        """The panel's menu for the menu bar (placed before Help), or None."""

    def toolbar_actions(self) -> Sequence[QAction]:
        """Actions for the main toolbar (after a separator), in order; may be empty."""

    def shortcut_actions(self) -> Sequence[QAction]:
        """Actions whose shortcuts work wherever the focus is in the window; may be empty."""

    def shutdown(self) -> None:
        """The window is closing: stop what runs and wait for it."""


PanelsFactory = Callable[[PanelHost], Sequence[Panel]]


def standard_panels(host: PanelHost) -> list[Panel]:
    """The training panel and the beam explorer, which decodes with what training produced.
    (Imported here, not at start-up: they bring pyqtgraph.)"""
    from .beam.dock import BeamDock
    from .training.install import TrainingDock

    training = TrainingDock(host)
    beam = BeamDock(host)
    training.panel.modelTrained.connect(beam.panel.set_trained)
    return [training, beam]


class PanelDocking(QMainWindow):
    """A main window that docks panels: each panel's dock, menu and actions, found again by key.

    The window sets ``menu_panels`` (View ▸ Panels), ``menu_help`` and ``toolbar`` while it builds
    itself, and fills ``docks`` through :meth:`dock`; ``panels`` holds what :meth:`compose_panels` attached."""

    docks: dict[str, QDockWidget]
    panels: dict[str, Panel]
    panel_menus: dict[str, QMenu]
    menu_panels: QMenu
    menu_help: QMenu
    toolbar: QToolBar

    def dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        """A movable, closable, floatable dock named ``f"{key}Dock"`` holding ``widget``."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{key}Dock")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    def compose_panels(self, factory: PanelsFactory) -> list[Panel]:
        """Build the panels ``factory`` makes for this window and attach each; returns them."""
        built = list(factory(self))  # type: ignore[arg-type] - the window is the PanelHost
        for panel in built:
            self.attach_panel(panel)
        return built

    def attach_panel(self, panel: Panel) -> QDockWidget:
        """Dock ``panel``, put its menu before Help, its toolbar actions after a separator, and its
        shortcuts on the window."""
        if not isinstance(panel, Panel):
            raise TypeError(f"{panel!r} is not a designer.panels.Panel (it needs key, title, area, widget, "
                            "menu, toolbar_actions, shortcut_actions and shutdown)")
        if panel.key in self.panels or panel.key in self.docks:
            raise ValueError(f'a panel "{panel.key}" is already in the window; give each panel its own key')
        dock = self.add_panel(panel.key, panel.title, panel.widget, panel.area)
        menu = panel.menu(self)
        if menu is not None:
            self.menuBar().insertMenu(self.menu_help.menuAction(), menu)
            self.panel_menus[panel.key] = menu
        actions = list(panel.toolbar_actions())
        if actions:
            self.toolbar.addSeparator()
            for action in actions:
                self.toolbar.addAction(action)
        for action in panel.shortcut_actions():
            self.addAction(action)
        self.panels[panel.key] = panel
        return dock

    def add_panel(self, key: str, title: str, widget: QWidget,
                  area: Qt.DockWidgetArea = Qt.DockWidgetArea.BottomDockWidgetArea) -> QDockWidget:
        """Dock ``widget`` (tabbed with Problems when at the bottom) and list it under View ▸ Panels."""
        dock = self.dock(key, title, widget, area)
        if area == Qt.DockWidgetArea.BottomDockWidgetArea and "problems" in self.docks:
            self.tabifyDockWidget(self.docks["problems"], dock)
        self.menu_panels.addAction(dock.toggleViewAction())
        return dock

    def panel(self, key: str) -> Panel | None:
        """The attached panel called ``key``, or None (not attached, or not yet: see ``defer_panels``)."""
        return self.panels.get(key)

    def panel_widget(self, key: str) -> QWidget | None:
        panel = self.panels.get(key)
        return panel.widget if panel is not None else None

    def panel_action(self, name: str) -> QAction | None:
        """A panel's action by object name (``actionTrain``): from its menu, toolbar or shortcuts."""
        for key, panel in self.panels.items():
            menu = self.panel_menus.get(key)
            for action in [*panel.toolbar_actions(), *panel.shortcut_actions(), *(menu.actions() if menu else [])]:
                if action.objectName() == name:
                    return action
        return None

    def reveal_panel(self, key: str, height_share: float | None = None) -> None:
        dock = self.docks.get(key)
        if dock is None:
            return
        dock.show()
        dock.raise_()
        if height_share is not None and not dock.isFloating() and dock.height() < height_share * self.height():
            # the panel needs room: the canvas above stays usable
            self.resizeDocks([dock], [int(height_share * self.height())], Qt.Orientation.Vertical)

    def shutdown_panels(self) -> None:
        """Each panel stops what it runs (the window is closing)."""
        for panel in self.panels.values():
            panel.shutdown()
