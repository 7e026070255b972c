"""P6: training with the window's live plots attached ÷ training headless, and how responsive the
window stays meanwhile.

Both sides train the same design (P1's small shape: an LSTM, T=50, B=32, F=H=64, on a CSV time
series) for the same steps with the same seed, thread count and probe interval. The GUI side
presses Train in a real window (offscreen platform) with every plot live; a 5 ms timer on the GUI
thread records how late each of its ticks fires — the event delay a user feels as lag.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from engine.document.templates import template
from engine.model.compiler import compile_design
from engine.training.trainer import Trainer, TrainSettings

from .harness import Row
from .probes import _series_task

STEPS = 300
PROBE_EVERY = 10


def _design(csv: Path, threads: int):  # noqa: ANN202
    design = template("many-to-one", cell="lstm", hidden_size=64, features=64)
    design.set_metadata("task", {"name": "csv_series", "path": str(csv), "window": 50, "val_fraction": 0.02})
    design.set_metadata("training", {"optimizer": "adam", "lr": 1e-3, "batch_size": 32, "steps": STEPS,
                                     "clip": 1.0, "seed": 0, "probe_every": PROBE_EVERY, "eval_every": 10 * STEPS})
    return design


def _headless(csv: Path) -> float:
    """Steps per second of the Trainer with no one watching (steps 2..N, start-up excluded)."""
    design = _design(csv, torch.get_num_threads())
    settings = TrainSettings.from_dict(design.metadata["training"], device="cpu")
    stamps: list[float] = []

    class Clock:
        def on_step(self, metrics: dict) -> None:
            stamps.append(time.perf_counter())

    from engine.data import task_from_metadata

    Trainer(compile_design(design), task_from_metadata(design.metadata["task"]), settings, design=design,
            callbacks=[Clock()]).run()
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def _windowed(csv: Path, app, threads: int) -> tuple[float, list[float]]:  # noqa: ANN001
    """Steps per second with the window's plots live, and the GUI thread's event delays (ms)."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, QTimer

    from designer.main_window import MainWindow

    settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "rnn-designer", "bench")
    window = MainWindow(settings=settings)
    window.resize(1440, 900)
    window.set_design(_design(csv, threads))
    window.show()
    panel = window.training_panel
    panel.form.threads.setValue(threads)  # the same thread count as the headless side
    window.docks["training"].raise_()
    app.processEvents()

    delays: list[float] = []
    clock = QElapsedTimer()
    tick = QTimer()
    tick.setInterval(5)
    last = [0.0]

    def on_tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        delays.append(max(0.0, now - last[0] - 5.0))
        last[0] = now

    tick.timeout.connect(on_tick)
    steps: list[tuple[int, float]] = []
    done = QEventLoop()
    outcome: list[object] = []
    panel.runFinished.connect(lambda o: (outcome.append(o), done.quit()))
    panel.runFailed.connect(lambda m: (outcome.append(m), done.quit()))
    sample = QTimer()
    sample.setInterval(50)
    sample.timeout.connect(lambda: steps.append((panel.history.step, time.perf_counter())))
    clock.start()
    tick.start()
    sample.start()
    window.actionTrain.trigger()
    done.exec()
    tick.stop()
    sample.stop()
    window.document.undo_stack.setClean()
    window.close()
    window.deleteLater()
    app.processEvents()
    if not outcome or isinstance(outcome[0], str):
        raise RuntimeError(f"the windowed run failed: {outcome}")
    seen = [(s, t) for s, t in steps if s >= 2]
    (s0, t0), (s1, t1) = seen[0], seen[-1]
    return (s1 - s0) / (t1 - t0), delays


def p6(device: torch.device, quick: bool) -> list[Row]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from designer.app import _application

    app = _application()
    threads = torch.get_num_threads()
    rounds = 2 if quick else 3
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "series.csv"
        _series_task(Path(folder))  # writes series.csv
        head, gui, delays = [], [], []
        _headless(csv)  # warm-up
        for i in range(rounds):
            order = ("h", "g") if i % 2 == 0 else ("g", "h")
            for side in order:
                if side == "h":
                    head.append(_headless(csv))
                else:
                    rate, d = _windowed(csv, app, threads)
                    gui.append(rate)
                    delays.extend(d)
    a, b = statistics.median(gui), statistics.median(head)
    p99 = float(np.percentile(delays, 99)) if delays else float("nan")
    return [
        Row("P6", "training steps/s with the live plots attached ÷ headless",
            f"CSV series T=50 B=32 F=H=64 LSTM, probes every {PROBE_EVERY}", a / b, "≥ 0.95", a / b >= 0.95,
            detail={"gui_steps_per_s": a, "headless_steps_per_s": b, "threads": threads}),
        Row("P6", "GUI thread's 99th-percentile event delay while training", "5 ms timer ticks", p99, "≤ 25 ms",
            p99 <= 25.0, unit="ms", detail={"ticks": len(delays), "median_ms": float(np.median(delays))}),
    ]
