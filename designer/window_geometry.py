"""Where the window opens and how big: the size and docks it had when it last closed (QSettings
``window/geometry`` and ``window/state``), or on a first start 90 % of the screen's available area,
centred — never larger than the screen, whatever the screen is — with the bottom docks at half
its height, and the tab a design opens on."""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow

FIRST_START_SHARE = 0.9  # of the screen's available width and height
FALLBACK_SIZE = (1440, 900)  # no screen at all (never on a desktop)
BOTTOM_DOCK_SHARE = 0.5  # of the window's height: the training plots fit at 1440×900 without scrolling


def default_layout(window: QMainWindow) -> None:
    """The bottom docks take half the height, so the training plots fit without scrolling; after
    that the layout is the user's (Train never resizes a dock)."""
    docks = getattr(window, "docks", {})
    if "problems" in docks:
        window.resizeDocks([docks["problems"]], [int(BOTTOM_DOCK_SHARE * window.height())], Qt.Orientation.Vertical)


def raise_first_panel(window: QMainWindow, has_problems: bool) -> None:
    """The bottom tab a design opens on: its problems when it has any, else the training panel."""
    docks = getattr(window, "docks", {})
    key = "problems" if has_problems or "training" not in docks else "training"
    if key in docks:
        docks[key].raise_()


def available_area(window: QMainWindow) -> QRect | None:
    """The available geometry of the screen the window is on (or the primary one)."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else None


def fit_to_screen(window: QMainWindow, share: float = FIRST_START_SHARE) -> None:
    """``share`` of the screen's available area, centred on it."""
    area = available_area(window)
    if area is None:
        window.resize(*FALLBACK_SIZE)
        return
    w, h = int(area.width() * share), int(area.height() * share)
    window.resize(w, h)
    window.move(area.x() + (area.width() - w) // 2, area.y() + (area.height() - h) // 2)


def keep_on_screen(window: QMainWindow) -> None:
    """A restored window larger than the screen (saved on a bigger monitor) shrinks to fit and moves onto it."""
    area = available_area(window)
    if area is None or window.isMaximized() or window.isFullScreen():
        return
    frame = window.frameGeometry()
    extra_w, extra_h = frame.width() - window.width(), frame.height() - window.height()
    w, h = min(window.width(), area.width() - extra_w), min(window.height(), area.height() - extra_h)
    if (w, h) != (window.width(), window.height()):
        window.resize(w, h)
    frame = window.frameGeometry()
    x = min(max(frame.x(), area.x()), area.right() - frame.width() + 1)
    y = min(max(frame.y(), area.y()), area.bottom() - frame.height() + 1)
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)


def place_window(window: QMainWindow, settings: QSettings) -> None:
    """Restore the last size, place and docks; on a first start fit the window to the screen."""
    geometry = settings.value("window/geometry")
    if isinstance(geometry, QByteArray) and window.restoreGeometry(geometry):
        keep_on_screen(window)
    else:
        fit_to_screen(window)
    restore_docks(window, settings)


def restore_docks(window: QMainWindow, settings: QSettings) -> None:
    """The docks and toolbars as they were (again once deferred panels have docked)."""
    state = settings.value("window/state")
    if isinstance(state, QByteArray):
        window.restoreState(state)


def save_window(window: QMainWindow, settings: QSettings) -> None:
    """Keep the size, place and docks for the next start (the docks as they are beside the canvas,
    not as a start page covering them: see designer.welcome)."""
    welcome = getattr(window, "welcome", None)
    if welcome is not None:
        welcome.hide()
    settings.setValue("window/geometry", window.saveGeometry())
    settings.setValue("window/state", window.saveState())
    settings.sync()
