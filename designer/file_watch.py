"""Notice when the open design's file was changed on disk by someone else.

The file's size and modification time are remembered when the window opens or saves it; when the
window (or the application) becomes active again, a file that changed since is offered for
reloading, and one that went away is mentioned once in the status bar (Save writes it again).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from engine.document.design_file import load_design
from engine.errors import DesignFileError

if TYPE_CHECKING:
    from .main_window import MainWindow

APP_NAME = "RNN Designer"
Stamp = tuple[int, int] | None  # (size, mtime in ns) of the file, None when there is none


def _stamp(path: os.PathLike[str] | str | None) -> Stamp:
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class FileWatch(QObject):
    """Checks the document's file on focus; ``window.file_watch``."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.document = window.document
        self._known: Stamp = None
        self._checking = False
        self.remember()
        self.document.path_changed.connect(self.remember)
        self.document.undo_stack.cleanChanged.connect(self._clean_changed)
        window.installEventFilter(self)
        app = QGuiApplication.instance()
        if app is not None:
            app.applicationStateChanged.connect(self._app_state_changed)

    def remember(self, *_args: object) -> None:
        """What the file is now is what the window knows (it has just opened or saved it)."""
        self._known = _stamp(self.document.path)

    def _clean_changed(self, clean: bool) -> None:
        if clean:  # a save (or an undo back to the saved state)
            self.remember()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.WindowActivate:
            self.check()
        return False

    def _app_state_changed(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive and self.window.isActiveWindow():
            self.check()

    def check(self) -> bool:
        """Look at the file now; True when it had changed (and the user was told)."""
        path = self.document.path
        if path is None or self._checking:
            return False
        now = _stamp(path)
        if now == self._known:
            return False
        self._known = now  # ask once per change, whatever the answer
        self._checking = True
        try:
            if now is None:
                self.window.statusBar().showMessage(
                    f"“{path.name}” was moved or deleted by another program; Save writes it again.", 10_000)
            else:
                self._offer_reload(path)
        finally:
            self._checking = False
        return True

    def _offer_reload(self, path: os.PathLike[str]) -> None:
        lose = "\nYour unsaved changes here would be lost." if self.document.dirty else ""
        answer = QMessageBox.question(
            self.window, APP_NAME, f"“{self.document.display_name()}” was changed on disk by another program.\n"
            f"Reload it?{lose}", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No if self.document.dirty else QMessageBox.StandardButton.Yes)
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            design = load_design(path)
        except DesignFileError as exc:
            QMessageBox.critical(self.window, "Cannot reload design", str(exc))
            return
        self.window.set_design(design, path)
        self.remember()
        self.window.statusBar().showMessage(f"Reloaded {path}", 6000)


def attach_file_watch(window: MainWindow) -> FileWatch:
    watch = FileWatch(window)
    window.file_watch = watch
    return watch
