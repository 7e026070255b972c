"""Crash recovery: at start, offer the unsaved work a crashed (or killed) window left behind.

A session folder (see :mod:`designer.autosave`) whose lock is stale and which holds an
``autosave.rnnd`` is unsaved work. The user chooses, for the newest first:

- **Recover** — the design opens in the window with its unsaved changes (and its file, so Save
  writes where it belongs); the copy moves into this window's own autosave session;
- **Discard** — the copy is deleted;
- **Show** — the folder opens in the file manager and the copy stays (offered again next time).

A folder whose lock another running window holds is never touched: a second instance does not
take the first one's work. A stale folder with nothing unsaved in it is removed quietly.
"""
from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from engine.appdirs import recovery_dir
from engine.document.design_file import load_design
from engine.errors import DesignFileError

from .autosave import APP_NAME, AUTOSAVE_FILE, SESSION_PREFIX, read_session_info, session_lock

if TYPE_CHECKING:
    from .main_window import MainWindow

RECOVER, DISCARD, SHOW = "recover", "discard", "show"


@dataclass
class UnsavedWork:
    """What a crashed window left: its session folder (whose lock this process now holds)."""

    folder: Path
    original: Path | None  # the file the window had open; None for a never-saved design
    name: str
    saved_at: float
    pid: int | None
    lock: QLockFile = field(repr=False)

    @property
    def autosave(self) -> Path:
        return self.folder / AUTOSAVE_FILE

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at)) if self.saved_at else "an unknown time"
        where = f"“{self.original}”" if self.original else f"the unsaved design “{self.name}”"
        return f"{where}, autosaved at {when}"

    def release(self) -> None:
        """Let go of the folder, keeping it (offered again at the next start)."""
        self.lock.unlock()

    def discard(self) -> None:
        self.lock.unlock()
        shutil.rmtree(self.folder, ignore_errors=True)


def find_unsaved_work(root: Path | None = None, exclude: Path | None = None) -> list[UnsavedWork]:
    """Unsaved work of windows that are gone, newest first; their locks are held until each is
    recovered, discarded or released. Leftover folders with nothing unsaved are removed."""
    root = root if root is not None else recovery_dir()
    found: list[UnsavedWork] = []
    for folder in sorted(root.glob(f"{SESSION_PREFIX}*")):
        if folder == exclude or not folder.is_dir():
            continue
        lock = session_lock(folder)
        if not lock.tryLock(0):
            continue  # a running window's: never taken
        if not (folder / AUTOSAVE_FILE).is_file():
            lock.unlock()
            shutil.rmtree(folder, ignore_errors=True)
            continue
        info = read_session_info(folder)
        original = info.get("path")
        saved_at = info.get("saved_at")
        if not isinstance(saved_at, (int, float)):
            saved_at = (folder / AUTOSAVE_FILE).stat().st_mtime
        pid = info.get("pid")
        found.append(UnsavedWork(folder=folder, original=Path(original) if isinstance(original, str) else None,
                                 name=str(info.get("name") or "untitled"), saved_at=float(saved_at),
                                 pid=pid if isinstance(pid, int) else None, lock=lock))
    found.sort(key=lambda w: w.saved_at, reverse=True)
    return found


def ask_what_to_do(parent: QWidget | None, work: UnsavedWork, others: int) -> str:
    """Ask Recover / Discard / Show about ``work``; returns RECOVER, DISCARD or SHOW (tests replace this)."""
    box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME,
                      f"{APP_NAME} did not close properly last time. It kept unsaved changes to "
                      f"{work.describe()}.", QMessageBox.StandardButton.NoButton, parent)
    more = f"\n\n{others} more unsaved design{'s' if others != 1 else ''} will be offered after this one." if others else ""
    box.setInformativeText("Recover opens them here; Discard deletes them; Show opens the folder that keeps "
                           f"them ({work.folder}) and asks again next time.{more}")
    recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    show = box.addButton("Show", QMessageBox.ButtonRole.ActionRole)
    box.setDefaultButton(recover)
    box.setEscapeButton(show)  # closing the box loses nothing
    box.exec()
    clicked = box.clickedButton()
    return DISCARD if clicked is discard else RECOVER if clicked is recover else SHOW


def recover_into(window: MainWindow, work: UnsavedWork) -> bool:
    """Open ``work`` in ``window`` as unsaved changes to its file; False (the copy kept) when it
    cannot be read."""
    try:
        design = load_design(work.autosave)
    except DesignFileError as exc:
        QMessageBox.critical(window, APP_NAME, f"The autosaved copy cannot be read, so it was kept:\n{exc}")
        work.release()
        return False
    window.set_design(design, work.original)
    window.document.undo_stack.resetClean()  # unsaved changes: Save writes them to the file
    autosaver = getattr(window, "autosave", None)
    if autosaver is not None:
        autosaver.save_now()  # now this window keeps the copy
    work.discard()
    window.statusBar().showMessage(f"Recovered unsaved changes to {work.describe()}. Save to keep them.", 10_000)
    return True


def offer_recovery(window: MainWindow, ask: Callable[[QWidget | None, UnsavedWork, int], str] | None = None,
                   root: Path | None = None) -> UnsavedWork | None:
    """Offer each piece of unsaved work left by crashed windows, newest first, until one is
    recovered; returns the one recovered (None when none was)."""
    ask = ask or ask_what_to_do
    autosaver = getattr(window, "autosave", None)
    root = root if root is not None else (autosaver.root if autosaver is not None else None)
    work_list = find_unsaved_work(root, exclude=autosaver.folder if autosaver is not None else None)
    recovered = None
    for i, work in enumerate(work_list):
        if recovered is not None:
            work.release()  # one design per window: the rest wait for the next start
            continue
        choice = ask(window, work, len(work_list) - i - 1)
        if choice == RECOVER and recover_into(window, work):
            recovered = work
        elif choice == DISCARD:
            work.discard()
        else:
            if choice == SHOW:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(work.folder)))
            work.release()
    return recovered
