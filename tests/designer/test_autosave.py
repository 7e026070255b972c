"""Autosave and recovery (issue 14): an edit survives the window being killed and is offered at the
next start; a clean save or close leaves nothing behind; a running second window's work is never
taken; a file open in two windows warns; a file changed on disk is noticed on focus.

Each test's app data folder is its own (``RNN_DESIGNER_DATA_DIR``, tests/conftest.py); the killed
windows are real processes (``autosave_session.py``); dialogs are answered by the test."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtWidgets import QApplication, QMessageBox

from designer import recovery
from designer.autosave import SESSION_PREFIX, attach_autosave
from designer.file_watch import attach_file_watch
from designer.recovery import DISCARD, RECOVER, SHOW, find_unsaved_work, offer_recovery
from engine.appdirs import recovery_dir
from engine.document.design_file import load_design, save_design
from engine.document.templates import template

SESSION = Path(__file__).with_name("autosave_session.py")
LINE_WAIT_S = 120


@pytest.fixture
def design_file(tmp_path: Path) -> Path:
    path = tmp_path / "work" / "model.rnnd"
    path.parent.mkdir()
    save_design(template("many-to-one"), path)
    return path


class Session:
    """A window (or a bare document) with unsaved work in a process of its own."""

    def __init__(self, tmp_path: Path, mode: str, design: Path) -> None:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path / "home"),
                   XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"))
        self.popen = subprocess.Popen([sys.executable, "-X", "faulthandler", str(SESSION), mode, str(design)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.node_id = self._line("edited ")
        self.autosave = Path(self._line("autosaved "))

    def _line(self, prefix: str) -> str:
        deadline = time.monotonic() + LINE_WAIT_S
        assert self.popen.stdout is not None
        while time.monotonic() < deadline:
            line = self.popen.stdout.readline()
            if not line:
                break
            if line.startswith(prefix):
                return line[len(prefix):].strip()
        self.popen.kill()
        raise AssertionError(f"no {prefix!r} line; stderr:\n{self.popen.communicate()[1][-3000:]}")

    def kill(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.communicate(timeout=30)

    def wait(self) -> None:
        self.popen.communicate(timeout=30)


def _session_folders() -> list[Path]:
    return sorted(recovery_dir().glob(f"{SESSION_PREFIX}*"))


def test_an_edit_survives_the_window_being_killed(tmp_path: Path, design_file: Path, window, qtbot) -> None:  # noqa: ANN001
    """Drop a block, the autosave writes it, the process is killed (SIGKILL): the next start
    offers the work, and Recover brings the edit back as unsaved changes to the same file."""
    crashed = Session(tmp_path, "window", design_file)
    assert crashed.autosave.is_file()
    crashed.kill()
    assert crashed.node_id not in load_design(design_file).nodes  # never saved to the file

    attach_autosave(window)  # the next start
    asked = []

    def answer(parent, work, others):  # noqa: ANN001, ANN202
        asked.append(work.describe())
        return RECOVER

    recovered = offer_recovery(window, ask=answer)
    assert recovered is not None and len(asked) == 1 and str(design_file) in asked[0]
    doc = window.document
    assert crashed.node_id in doc.design.nodes and doc.design.nodes[crashed.node_id].kind == "dense"
    assert crashed.node_id in window.scene.nodes  # on the canvas
    assert doc.dirty and doc.path == design_file.resolve()
    assert not crashed.autosave.parent.exists()  # the crashed window's copy moved into this window's
    assert window.autosave.autosave_path.is_file()
    assert window.save()  # a clean save: the work is in the file, nothing left to recover
    assert crashed.node_id in load_design(design_file).nodes
    assert not window.autosave.autosave_path.exists()


def test_autosave_follows_changes_and_a_clean_close_leaves_nothing(design_file: Path, window, qtbot, dialogs) -> None:  # noqa: ANN001
    window.open_file(design_file)
    autosaver = attach_autosave(window, delay_ms=50)
    assert not autosaver.autosave_path.exists()
    window.scene.add_block("dense", QPointF(900, 420))
    assert autosaver.pending
    qtbot.waitUntil(lambda: autosaver.autosave_path.is_file(), timeout=5000)
    assert "dense" in {n.kind for n in load_design(autosaver.autosave_path).nodes.values()}
    window.document.undo_stack.undo()  # back to what the file holds: nothing unsaved
    assert not autosaver.autosave_path.exists()
    window.document.undo_stack.redo()
    qtbot.waitUntil(lambda: autosaver.autosave_path.is_file(), timeout=5000)
    dialogs.answer = QMessageBox.StandardButton.Discard  # close, discarding the change
    assert window.close()
    assert not autosaver.folder.exists() and _session_folders() == []
    assert find_unsaved_work() == []


def test_a_running_window_keeps_its_work_and_a_file_open_twice_warns(tmp_path: Path, design_file: Path,
                                                                     window, dialogs) -> None:  # noqa: ANN001
    """A second instance neither offers nor takes a running window's autosave; opening the file
    that window has open warns; once that window is killed, its work is offered."""
    running = Session(tmp_path, "window", design_file)
    try:
        attach_autosave(window)
        assert offer_recovery(window, ask=lambda *a: pytest.fail("offered a running window's work")) is None
        assert running.autosave.is_file()  # still there, still its own
        window.open_file(design_file)
        warnings = [t for t in dialogs.texts("warning") if "also open in another" in t]
        assert len(warnings) == 1 and str(running.popen.pid) in warnings[0]
    finally:
        running.kill()
    work = find_unsaved_work(exclude=window.autosave.folder)
    assert [w.autosave for w in work] == [running.autosave]
    work[0].release()


def test_discard_deletes_show_keeps_and_empty_leftovers_go(tmp_path: Path, design_file: Path, window,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    first = Session(tmp_path, "crash", design_file)
    first.wait()
    shown = []
    monkeypatch.setattr(recovery.QDesktopServices, "openUrl", staticmethod(lambda url: shown.append(url.toLocalFile())))
    attach_autosave(window)
    assert offer_recovery(window, ask=lambda *a: SHOW) is None
    assert shown == [str(first.autosave.parent)] and first.autosave.is_file()  # kept for next time
    assert offer_recovery(window, ask=lambda *a: DISCARD) is None
    assert not first.autosave.parent.exists()
    leftover = recovery_dir() / f"{SESSION_PREFIX}1-deadbeef"  # a window that ended with nothing unsaved
    leftover.mkdir()
    assert find_unsaved_work(exclude=window.autosave.folder) == [] and not leftover.exists()
    assert window.document.path != design_file.resolve() or not window.document.dirty  # nothing was loaded


def test_a_file_changed_on_disk_is_offered_for_reload_on_focus(design_file: Path, window,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    window.open_file(design_file)
    watch = attach_file_watch(window)
    answers = []

    def question(parent, title, text, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        answers.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    QApplication.sendEvent(window, QEvent(QEvent.Type.WindowActivate))
    assert answers == []  # unchanged: nothing asked
    changed = template("many-to-many")
    save_design(changed, design_file)
    stat = design_file.stat()
    os.utime(design_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))  # coarse clocks
    QApplication.sendEvent(window, QEvent(QEvent.Type.WindowActivate))
    assert len(answers) == 1 and "changed on disk" in answers[0]
    assert set(window.document.design.nodes) == set(changed.nodes)  # reloaded
    assert not window.document.dirty
    QApplication.sendEvent(window, QEvent(QEvent.Type.WindowActivate))
    assert len(answers) == 1  # asked once per change
    window.scene.add_block("dense", QPointF(0, 600))
    assert window.save()  # our own save is not someone else's change
    assert not watch.check() and len(answers) == 1
