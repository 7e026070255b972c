"""The window composes its panels through :class:`designer.panels.Panel`: a fake panel gets its
dock (tabbed with Problems, listed under View ▸ Panels), its menu before Help, its toolbar actions
and window-wide shortcuts, hears the canvas selection and is shut down on close — and the
window gains no attributes on the way."""
from __future__ import annotations

from collections.abc import Sequence

import pytest
from designer_helpers import drop
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QMenu, QWidget

from designer.main_window import MainWindow
from designer.panels import Panel, PanelHost


class FakePanel:
    """The smallest panel: a label, one menu action, one toolbar action, one shortcut."""

    key = "fake"
    title = "Fake Panel"
    area = Qt.DockWidgetArea.BottomDockWidgetArea

    def __init__(self, host: PanelHost) -> None:
        self.host = host
        self.label = QLabel("a fake panel")
        self.label.setObjectName("fakePanel")
        self.action = QAction("Do Fake Thing", self.label)
        self.action.setObjectName("actionFake")
        self.shortcut = QAction("Fake Shortcut", self.label)
        self.shortcut.setObjectName("actionFakeShortcut")
        self.selections: list[list[str]] = []
        self.shutdowns = 0
        host.nodes_selected.connect(self.selections.append)

    @property
    def widget(self) -> QWidget:
        return self.label

    def menu(self, parent: QWidget) -> QMenu:
        menu = QMenu("F&ake", parent)
        menu.setObjectName("menuFake")
        menu.addAction(self.action)
        return menu

    def toolbar_actions(self) -> Sequence[QAction]:
        return (self.action,)

    def shortcut_actions(self) -> Sequence[QAction]:
        return (self.shortcut,)

    def shutdown(self) -> None:
        self.shutdowns += 1


@pytest.fixture
def made(qtbot, settings):  # noqa: ANN001, ANN201
    panels: list[FakePanel] = []

    def factory(host: PanelHost) -> list[Panel]:
        panels.append(FakePanel(host))
        return panels[-1:]

    w = MainWindow(settings=settings, defer_panels=True, panels=factory)
    qtbot.addWidget(w)
    yield w, panels
    w.document.undo_stack.setClean()
    w.close()


def test_a_fake_panel_is_composed_through_the_interface(made, qtbot):
    window, panels = made
    attributes = set(vars(window))
    assert not panels and window.panel("fake") is None  # deferred: nothing until the window shows
    window.show()
    qtbot.waitUntil(lambda: window.panel("fake") is not None, timeout=5000)
    (panel,) = panels
    assert isinstance(panel, Panel) and window.panel("fake") is panel and window.panel_widget("fake") is panel.label
    assert set(vars(window)) == attributes  # composed: nothing was patched onto the window

    dock = window.findChild(QDockWidget, "fakeDock")
    assert dock is window.docks["fake"] and dock.widget() is panel.label and dock.windowTitle() == "Fake Panel"
    # tabbed with Problems (docked while the window shows, so the dock layout settles in the event loop)
    qtbot.waitUntil(lambda: dock in window.tabifiedDockWidgets(window.docks["problems"]), timeout=2000)
    assert dock.toggleViewAction() in window.menu_panels.actions()
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles[-2:] == ["Fake", "Help"]  # the panel's menu goes before Help
    toolbar = window.toolbar.actions()
    assert toolbar[-1] is panel.action and toolbar[-2].isSeparator()
    assert panel.shortcut in window.actions() and window.panel_action("actionFakeShortcut") is panel.shortcut
    assert window.panel_action("actionFake") is panel.action and window.panel_action("actionNothing") is None

    node = drop(window, "lstm", 0)  # the panel hears the canvas selection through its host
    assert panel.selections[-1] == [node]
    dock.hide()
    panel.host.reveal_panel("fake", 0.5)
    assert dock.isVisible()
    panel.host.show_status("fake says hello")
    assert window.statusBar().currentMessage() == "fake says hello"

    window.install_panels()  # composing twice does nothing
    assert len(panels) == 1
    window.document.undo_stack.setClean()
    window.close()
    assert panel.shutdowns == 1


def test_a_panel_that_locks_the_document_locks_the_window(made, qtbot):
    window, panels = made
    window.install_panels()
    (panel,) = panels
    panel.host.document.set_editable(False, "The fake panel is busy.")
    assert not window.palette.isEnabled() and window.view.lock_banner.text() == "The fake panel is busy."
    panel.host.document.set_editable(True)
    assert window.palette.isEnabled()


def test_what_is_not_a_panel_is_refused_with_a_clear_error(qtbot, settings):
    w = MainWindow(settings=settings, panels=lambda host: [])
    qtbot.addWidget(w)
    with pytest.raises(TypeError, match="is not a designer.panels.Panel"):
        w.attach_panel(QLabel("no panel"))  # type: ignore[arg-type]
    w.attach_panel(FakePanel(w))
    with pytest.raises(ValueError, match='a panel "fake" is already in the window'):
        w.attach_panel(FakePanel(w))
    assert list(w.panels) == ["fake"]
    w.close()


def test_help_entries_are_added_above_about(qtbot, settings):
    w = MainWindow(settings=settings, panels=lambda host: [])
    qtbot.addWidget(w)
    tour = QAction("Take the &Tour", w)
    w.add_help_action(tour)
    actions = w.menu_help.actions()
    assert actions.index(tour) == actions.index(w.actionAbout) - 1
    w.close()
