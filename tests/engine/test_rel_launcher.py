"""``rnn-designer`` without a screen never opens a modal dialog: a typo or a bad file is printed
and the command exits 2 at once (issue 14, "Hangs")."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _headless(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "designer.launcher", *args], capture_output=True, text=True,
                          timeout=60, env=env, cwd=cwd)


@pytest.mark.parametrize("args, words", [
    (["chek"], "'chek' is neither a command nor a design file; did you mean 'rnn-designer check'?"),
    (["trian", "x.rnnd"], "did you mean 'rnn-designer train'?"),
    (["missing.rnnd"], "missing.rnnd: no such design file"),
    (["broken.rnnd"], "broken.rnnd: line 1 column 1: not valid JSON"),
])
def test_headless_mistakes_print_and_exit_2(tmp_path: Path, args: list[str], words: str) -> None:
    (tmp_path / "broken.rnnd").write_text("this is not json")
    done = _headless(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "rnn-designer-window.png").exists()  # no window was rendered


def test_the_refusal_rules() -> None:
    from designer.launcher import refuse_before_the_window

    commands = ("check", "train", "eval", "decode", "examples")
    assert refuse_before_the_window("decod", commands, headless=False).endswith("open a design with: rnn-designer FILE.rnnd")
    assert refuse_before_the_window("designs/new.rnnd", commands, headless=False) is None  # the window says it
    assert refuse_before_the_window("zzzz", commands, headless=False).startswith("error: 'zzzz' is neither")
