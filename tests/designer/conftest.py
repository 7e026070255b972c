"""Fixtures for the designer window: an isolated settings file, dialogs that never block, helpers."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox

from designer import close_guard
from designer.main_window import MainWindow


class Dialogs:
    """Records every message box and answers the unsaved-changes question with ``answer``."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str, str]] = []  # (kind, title, text)
        self.answer = QMessageBox.StandardButton.Discard

    def _record(self, kind: str):  # noqa: ANN202
        def fake(parent, title, text, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            self.shown.append((kind, title, text))
            return self.answer if kind == "warning" else QMessageBox.StandardButton.Ok
        return fake

    def texts(self, kind: str | None = None) -> list[str]:
        return [t for k, _, t in self.shown if kind is None or k == kind]


@pytest.fixture(autouse=True)
def dialogs(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    d = Dialogs()
    for kind in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(d._record(kind)))
    monkeypatch.setattr(QMessageBox, "about", staticmethod(lambda *a, **k: None))
    # the run guard's Stop and keep / Discard / Cancel question answers like the unsaved-changes one
    monkeypatch.setattr(close_guard, "ask", d._record("warning"))

    def no_file_dialog(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("a test opened a file dialog")

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(no_file_dialog))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(no_file_dialog))
    return d


@pytest.fixture
def settings(tmp_path) -> QSettings:  # noqa: ANN001
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings) -> MainWindow:  # noqa: ANN001
    w = MainWindow(settings=settings)
    qtbot.addWidget(w)
    w.resize(1440, 900)  # the offscreen screen is 800×800: the window would open fitted to it
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.document.undo_stack.setClean()
    w.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Release what the tests put on the clipboard while Python still runs: Qt would destroy that
    Python-made QMimeData in an exit handler after the interpreter is gone, and crash (exit 139)."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is not None:
        QGuiApplication.clipboard().clear()
