"""P7: process start to the main window shown, cold, on the bundled example.

Measured in fresh processes (offscreen platform, so no window manager adds noise) from just
before the process is spawned to the first turn of the event loop after ``show()``. The baseline
is the floor any PySide6 app pays: a fresh process that imports QtWidgets and shows an empty
QMainWindow. The window must not wait for torch (it is imported lazily).
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from .harness import Row

ROOT = Path(__file__).resolve().parents[1]
_BARE = ("import time\nfrom PySide6.QtWidgets import QApplication, QMainWindow\nfrom PySide6.QtCore import QTimer\n"
         "app = QApplication([]); w = QMainWindow(); w.resize(1440, 900); w.show()\n"
         "QTimer.singleShot(0, lambda: (print(f'shown at {time.time():.6f}', flush=True), app.quit()))\n"
         "app.exec()\n")
_APP = "import sys; from designer.app import main; sys.exit(main([]))"


def _time_to_shown(code: str, env: dict[str, str]) -> float:
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    for line in out.stdout.splitlines():
        if line.startswith("shown at "):
            return float(line.split()[-1]) - t0
    raise RuntimeError(f"the window never reported being shown:\n{out.stdout}\n{out.stderr}")


def p7(device: torch.device, quick: bool) -> list[Row]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", RNN_DESIGNER_EXIT_WHEN_SHOWN="1",
               XDG_CONFIG_HOME=str(ROOT / "build" / "bench-config"), PYTHONPATH=str(ROOT))
    rounds = 3 if quick else 7
    app, bare = [], []
    for _ in range(rounds):
        app.append(_time_to_shown(_APP, env))
        bare.append(_time_to_shown(_BARE, env))
    a, b = statistics.median(app), statistics.median(bare)
    return [Row("P7", f"process start → main window shown (empty QMainWindow: {b:.2f} s)",
                "bundled example, offscreen", a, "≤ 1.0 s", a <= 1.0, unit="s",
                detail={"app_s": a, "bare_qt_s": b, "ratio": a / b})]
