"""Autosave: a copy of the open design's unsaved work, kept where a crash cannot take it.

Each running window owns a *session folder* in the app's recovery folder
(:func:`engine.appdirs.recovery_dir`), ``session-<pid>-<random>``, holding:

- ``session.lock`` — a :class:`QLockFile` the window holds while it runs. A lock whose process is
  gone is *stale*: that window crashed (or was killed). A lock still held belongs to another
  running window (a second instance), whose work is never taken;
- ``session.json`` — which file the window has open, its name, when the copy was written;
- ``autosave.rnnd`` — the design, written (atomically) a few seconds after each change while it
  has unsaved changes, and removed as soon as it has none (saved, or undone back to the file).

A clean close removes the whole folder. What a crash leaves is offered at the next start by
:mod:`designer.recovery`.
"""
from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QLockFile, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from engine.appdirs import recovery_dir
from engine.document.design_file import save_design
from engine.errors import DesignerError
from engine.files import atomic_write

if TYPE_CHECKING:
    from .document import DesignDocument
    from .main_window import MainWindow

AUTOSAVE_DELAY_MS = 3000  # after the last change; a burst of edits writes once
SESSION_PREFIX = "session-"
SESSION_LOCK = "session.lock"
SESSION_INFO = "session.json"
AUTOSAVE_FILE = "autosave.rnnd"
APP_NAME = "RNN Designer"


def session_lock(folder: Path) -> QLockFile:
    """The lock of a session folder; only a dead process's lock is stale (never by age)."""
    lock = QLockFile(str(folder / SESSION_LOCK))
    lock.setStaleLockTime(0)
    return lock


def read_session_info(folder: Path) -> dict:
    """What ``session.json`` says ({} when it is missing or unreadable)."""
    try:
        info = json.loads((folder / SESSION_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def live_sessions_with(path: Path, root: Path, exclude: Path | None = None) -> list[dict]:
    """The other running windows (their lock is held) that have ``path`` open."""
    found = []
    for folder in sorted(root.glob(f"{SESSION_PREFIX}*")):
        if folder == exclude or not folder.is_dir():
            continue
        info = read_session_info(folder)
        if info.get("path") != str(path):
            continue
        lock = session_lock(folder)
        if lock.tryLock(0):  # nobody holds it: a crashed window's, not a running one
            lock.unlock()
            continue
        found.append(info)
    return found


class Autosaver(QObject):
    """Keeps one document's unsaved work in its session folder, under the session's lock."""

    saved = Signal(str)  # the recovery copy was written: its path
    failed = Signal(str)  # it could not be: why, in words

    def __init__(self, document: DesignDocument, parent: QObject | None = None,
                 delay_ms: int = AUTOSAVE_DELAY_MS, root: Path | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.delay_ms = delay_ms
        self.root = root if root is not None else recovery_dir()
        self.folder = self.root / f"{SESSION_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            self.folder.mkdir(parents=True)
        except OSError as exc:
            raise DesignerError(f"{self.folder}: cannot create the autosave folder ({exc.strerror})") from None
        self._lock = session_lock(self.folder)
        if not self._lock.tryLock(0):
            raise DesignerError(f"{self.folder / SESSION_LOCK}: cannot take the autosave lock ({self._lock.error().name})")
        self.started_at = time.time()
        self.finished = False
        self._timer = QTimer(self)
        self._timer.setObjectName("autosaveTimer")
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.save_now)
        self._connections = [
            (document.undo_stack.indexChanged, self._changed),
            (document.undo_stack.cleanChanged, self._clean_changed),
            (document.design_replaced, self._changed),
            (document.path_changed, self._path_changed),
        ]
        for signal, slot in self._connections:
            signal.connect(slot)
        self._write_info()
        if document.dirty:
            self.schedule()

    @property
    def autosave_path(self) -> Path:
        return self.folder / AUTOSAVE_FILE

    @property
    def pending(self) -> bool:
        """A change is waiting for its autosave."""
        return self._timer.isActive()

    # ------------------------------------------------------------------ following the document
    def _changed(self, *_args: object) -> None:
        self.schedule()

    def _clean_changed(self, clean: bool) -> None:
        if clean:  # saved, or undone back to what the file holds: nothing to recover any more
            self._timer.stop()
            self.clear()

    def _path_changed(self, _path: str) -> None:
        self._write_info()

    def schedule(self) -> None:
        """Write the copy ``delay_ms`` after the last change."""
        if not self.finished:
            self._timer.start(self.delay_ms)

    # ------------------------------------------------------------------ writing and clearing
    def save_now(self) -> Path | None:
        """Write the copy now when there are unsaved changes (else remove it); returns its path."""
        self._timer.stop()
        if self.finished:
            return None
        if not self.document.dirty:
            self.clear()
            return None
        try:
            save_design(self.document.design, self.autosave_path)
            self._write_info(saved_at=time.time())
        except (DesignerError, OSError) as exc:
            self.failed.emit(f"Autosave failed: {exc}")
            return None
        self.saved.emit(str(self.autosave_path))
        return self.autosave_path

    def clear(self) -> None:
        """Remove the copy (the document has no unsaved changes)."""
        try:
            self.autosave_path.unlink(missing_ok=True)
        except OSError:
            pass
        self._write_info()

    def _write_info(self, saved_at: float | None = None) -> None:
        if self.finished:
            return
        doc = self.document
        info = {"pid": os.getpid(), "path": str(doc.path) if doc.path is not None else None,
                "name": doc.display_name(), "started_at": self.started_at,
                "saved_at": saved_at if saved_at is not None else read_session_info(self.folder).get("saved_at")}
        try:
            atomic_write(self.folder / SESSION_INFO, json.dumps(info, indent=2) + "\n")
        except (DesignerError, OSError) as exc:
            self.failed.emit(f"Autosave failed: {exc}")

    def finish(self) -> None:
        """A clean end (the window closed): remove the session folder and release its lock."""
        if self.finished:
            return
        self.finished = True
        self._timer.stop()
        for signal, slot in self._connections:
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass
        self._lock.unlock()
        shutil.rmtree(self.folder, ignore_errors=True)

    # ------------------------------------------------------------------ other windows
    def others_with_this_file(self) -> list[dict]:
        """The other running windows that have this document's file open."""
        path = self.document.path
        return [] if path is None else live_sessions_with(path, self.root, exclude=self.folder)


class _WindowEnd(QObject):
    """Ends the autosave session when its window closes for good (a Close the window accepted is
    followed by a hide; one it refused, to keep unsaved work, is not) or the app quits."""

    def __init__(self, window: MainWindow, autosaver: Autosaver) -> None:
        super().__init__(window)
        self.window, self.autosaver = window, autosaver
        self._closing = False
        window.installEventFilter(self)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._quitting)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind == QEvent.Type.Close:
            self._closing = True
        elif kind == QEvent.Type.Show:
            self._closing = False
        elif kind == QEvent.Type.Hide and self._closing and not event.spontaneous():
            self.autosaver.finish()
        return False

    def _quitting(self) -> None:
        if not self.window.isVisible():
            self.autosaver.finish()


def attach_autosave(window: MainWindow, delay_ms: int = AUTOSAVE_DELAY_MS, root: Path | None = None) -> Autosaver:
    """Give ``window`` an autosave session (``window.autosave``), ended when the window closes;
    autosave problems go to its status bar; opening a file another window has open warns."""
    autosaver = Autosaver(window.document, window, delay_ms=delay_ms, root=root)
    window.autosave = autosaver
    _WindowEnd(window, autosaver)
    autosaver.failed.connect(lambda message: window.statusBar().showMessage(message, 10_000))

    def warn_if_open_elsewhere(_path: str = "") -> None:
        others = autosaver.others_with_this_file()
        if others:
            pids = ", ".join(str(o.get("pid", "?")) for o in others)
            QMessageBox.warning(
                window, APP_NAME,
                f"“{window.document.display_name()}” is also open in another {APP_NAME} window "
                f"(process {pids}).\nWhat one window saves overwrites what the other saved; close one of them, "
                "or use Save As to keep both.")

    window.document.path_changed.connect(warn_if_open_elsewhere)
    if window.document.path is not None:
        QTimer.singleShot(0, warn_if_open_elsewhere)
    return autosaver
