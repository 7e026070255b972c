"""The window survives a soak (issue 14): a seeded random sequence of a few hundred user actions —
templates, edits, undo bursts, short trainings paused and stopped, design switches during and
right after runs, beam steps and forces at width 10, dock switches, resizes, save and open — on
the real window in a process of its own under ``python -X faulthandler``, ending with a clean close.

It passes when the process exits 0 having done every action, with no Python traceback (an
exception in a slot is printed, not raised, so it is looked for on stderr) and no fatal error.
More seeds and actions while developing: ``python tests/designer/soak_session.py SEED 2000 /tmp/soak``.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SESSION = Path(__file__).with_name("soak_session.py")
SEED, ACTIONS, MAX_RUNS = 14, 300, 2


def test_a_few_hundred_random_user_actions_end_in_a_clean_exit(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path / "home"),
               XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"), RNN_DESIGNER_DATA_DIR=str(tmp_path / "data"),
               MALLOC_PERTURB_="165")  # a use after free crashes at once
    done = subprocess.run([sys.executable, "-X", "faulthandler", str(SESSION), str(SEED), str(ACTIONS),
                           str(tmp_path / "work"), str(MAX_RUNS)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=400)
    report = f"exit {done.returncode}\nstdout:\n{done.stdout[-2000:]}\nstderr:\n{done.stderr[-4000:]}"
    assert done.returncode == 0, report
    assert f"soak ok: seed={SEED} actions={ACTIONS}" in done.stdout, report
    assert "runs=" in done.stdout, report  # trainings really ran
    assert "Traceback" not in done.stderr and "Fatal Python error" not in done.stderr, report
    assert not list((tmp_path / "data").glob("recovery/session-*")), "a clean close left autosave files"


def test_the_leftover_check_finds_and_stops_a_running_thread_and_timer(qtbot) -> None:  # noqa: ANN001
    """What tests/conftest.py runs after every Qt test: it must see what a careless test leaves."""
    from PySide6.QtCore import QThread, QTimer
    from qt_leftovers import qt_leftovers

    assert qt_leftovers() == []
    timer, thread = QTimer(), QThread()
    timer.setObjectName("forgotten")
    timer.start(1000)
    thread.start()
    found = qt_leftovers(stop=True)
    assert "QTimer forgotten still active (every 1000 ms)" in found
    assert any(f.startswith("QThread") and f.endswith("still running") for f in found)
    assert not timer.isActive() and thread.wait(5000)
    assert qt_leftovers() == []
