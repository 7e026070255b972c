"""The window watching runs: P6 (training speed with the window watching ÷ headless, and how
responsive the window stays), P8 (Train pressed → first live point) and the memory of a long run.

A run is a process of its own (docs/runs.md). Both sides of P6 run the same worker
(``python -m engine.training.run``) on the same design — P1's small shape: an LSTM, T=50, B=32,
F=H=64, on a CSV time series, probes every 10 steps — with the same seed and thread count; the
headless side has nobody reading its stream, the windowed side is a real window (offscreen
platform) that pressed Train and draws every update. Speed is read from each run's own stream
(its ``seconds`` per step, steps 2..N), so the two are measured the same way. A 5 ms timer on the
GUI thread records how late each tick fires: the event delay a user feels as lag. Sides
alternate; medians with their spread (min–max) are printed.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from engine.document.design_file import save_design
from engine.document.templates import template
from engine.training.events import read_all
from engine.training.run import RunSpec

from .harness import Row
from .probes import _series_task

STEPS = 600
PROBE_EVERY = 10
LONG_STEPS = 20_000


def _design(csv: Path, steps: int, probe_every: int):  # noqa: ANN202
    design = template("many-to-one", cell="lstm", hidden_size=64, features=64)
    design.set_metadata("task", {"name": "csv_series", "path": str(csv), "window": 50, "val_fraction": 0.02})
    design.set_metadata("training", {"optimizer": "adam", "lr": 1e-3, "batch_size": 32, "steps": steps, "clip": 1.0,
                                     "seed": 0, "probe_every": probe_every, "eval_every": 10 * steps, "device": "cpu"})
    return design


def _rate(folder: Path) -> float:
    """Steps per second of the run in ``folder``, from its own clock (steps 2..N)."""
    seconds = [s for e in read_all(folder) if e["type"] == "steps" for s in e["seconds"]]
    return (len(seconds) - 1) / (seconds[-1] - seconds[0])


def _spread(values: list[float]) -> str:
    return f"median of {len(values)}, spread {min(values):.3g}–{max(values):.3g}"


def _headless(csv: Path, work: Path, threads: int) -> float:
    out = work / f"headless-{time.monotonic_ns()}"
    out.mkdir()
    save_design(_design(csv, STEPS, PROBE_EVERY), out / "design.rnnd")
    spec = RunSpec(design=str(out / "design.rnnd"), out_dir=str(out), threads=threads).save(out / "run.json")
    subprocess.run([sys.executable, "-m", "engine.training.run", str(spec)], check=True, stdin=subprocess.DEVNULL)
    return _rate(out)


def run_until(done, timeout: float) -> bool:  # noqa: ANN001
    """Run the event loop (as ``app.exec`` would: idle between events) until ``done()`` or ``timeout``."""
    from PySide6.QtCore import QEventLoop, QTimer

    if done():
        return True
    loop, end = QEventLoop(), time.perf_counter() + timeout
    check = QTimer()
    check.setInterval(20)
    check.timeout.connect(lambda: (done() or time.perf_counter() >= end) and loop.quit())
    check.start()
    loop.exec()
    check.stop()
    return done()


class _Window:
    """A real window (offscreen) with the training panel, and a ticking GUI-thread clock."""

    def __init__(self, app, csv: Path, threads: int, steps: int = STEPS, probe_every: int = PROBE_EVERY) -> None:  # noqa: ANN001
        from PySide6.QtCore import QSettings

        from designer.main_window import MainWindow

        self.app = app
        settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "rnn-designer", "bench")
        self.window = MainWindow(settings=settings)
        self.window.resize(1440, 900)
        self.window.set_design(_design(csv, steps, probe_every))
        self.window.show()
        self.panel = self.window.training_panel
        self.panel.form.threads.setValue(threads)
        self.window.docks["training"].raise_()
        self.wait(lambda: False, 0.2)

    def wait(self, done, timeout: float) -> bool:  # noqa: ANN001
        return run_until(done, timeout)

    def run(self, delays: list[float] | None = None) -> Path:
        """Press Train and wait for the end; returns the run folder."""
        from PySide6.QtCore import QElapsedTimer, QTimer

        ended: list[object] = []
        self.panel.runFinished.connect(ended.append)
        self.panel.runFailed.connect(ended.append)
        clock, tick, last = QElapsedTimer(), QTimer(), [0.0]

        def on_tick() -> None:
            now = clock.nsecsElapsed() / 1e6
            if delays is not None and last[0]:
                delays.append(max(0.0, now - last[0] - 5.0))
            last[0] = now

        self.panel.reset_weights()  # a fresh run each time, as the headless side's (Start would go on from the last)
        tick.setInterval(5)
        tick.timeout.connect(on_tick)
        clock.start()
        tick.start()
        self.window.actionTrain.trigger()
        self.wait(lambda: bool(ended), 600)
        tick.stop()
        self.panel.runFinished.disconnect(ended.append)
        self.panel.runFailed.disconnect(ended.append)
        if not ended or isinstance(ended[0], str):
            raise RuntimeError(f"the windowed run failed: {ended}")
        return ended[0].run_dir

    def close(self) -> None:
        from designer import close_guard

        close_guard.ask = lambda *_args, **_kwargs: close_guard.DISCARD  # the bench's runs need keeping nowhere
        self.window.document.undo_stack.setClean()
        self.window.close()
        self.window.deleteLater()
        self.app.processEvents()


def _app():  # noqa: ANN202
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from designer.app import _application

    return _application()


def p6(device: torch.device, quick: bool) -> list[Row]:
    """Each round runs three sides, in a rotating order: headless, the window watching, and the
    window watching with the 5 ms clock ticking (the clock wakes the window 200 times a second,
    which a 2-thread run on 2 cores feels, so speed is read from the runs without it)."""
    app = _app()
    rounds = 3 if quick else 5
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        _series_task(work)  # writes series.csv
        csv = work / "series.csv"
        for threads in (1, 2):
            head, gui, delays = [], [], []
            window = _Window(app, csv, threads)
            window.run()  # warm-up of both the window and the spare
            _headless(csv, work, threads)
            for i in range(rounds):
                sides = ("h", "g", "t")
                for side in sides[i % 3:] + sides[:i % 3]:
                    _settle(window)  # the spare process the last run left is ready, not importing torch
                    if side == "h":
                        head.append(_headless(csv, work, threads))
                    elif side == "g":
                        gui.append(_rate(window.run()))
                    else:
                        window.run(delays)
            window.close()
            ratios = [g / h for g, h in zip(gui, head)]
            a, b = statistics.median(gui), statistics.median(head)
            p99 = float(np.percentile(delays, 99)) if delays else float("nan")
            rows += [
                Row("P6", f"steps/s with the window watching ÷ headless, {threads} torch thread{'s' * (threads > 1)} "
                          f"({_spread(ratios)}; headless {b:.0f} steps/s, spread {min(head):.0f}–{max(head):.0f})",
                    f"CSV series T=50 B=32 F=H=64 LSTM, probes every {PROBE_EVERY}",
                    a / b, "≥ 0.97", a / b >= 0.97,
                    detail={"gui_steps_per_s": gui, "headless_steps_per_s": head, "threads": threads}),
                Row("P6", f"GUI thread's 99th-percentile event delay, {threads} torch thread{'s' * (threads > 1)}",
                    f"5 ms timer ticks during {rounds} runs", p99, "≤ 16 ms", p99 <= 16.0, unit="ms",
                    detail={"ticks": len(delays), "median_ms": float(np.median(delays)) if delays else None}),
            ]
    return rows


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_idle(window: _Window, pid: int, timeout: float = 60.0) -> None:
    """Until process ``pid`` has used CPU and then stopped (a spare waiting for its run)."""
    end, last = time.perf_counter() + timeout, -1.0
    while time.perf_counter() < end:
        used = _cpu_seconds(pid)
        if used > 0.5 and used == last:
            return
        last = used
        window.wait(lambda: False, 0.5)


def _settle(window: _Window) -> None:
    """Until the window's spare run process (refilled after each run) has finished starting."""
    window.wait(lambda: False, 1.2)  # the pool refills a second after a run ends
    spare = window.panel.controller.pool.spare
    if spare is not None:
        _wait_idle(window, spare.pid)


def _first_point(window: _Window) -> float:
    """Seconds from pressing Train to the first step on the plot (the run then goes on to its end)."""
    panel = window.panel
    panel.reset_weights()  # a fresh run: the plots start empty
    start = time.perf_counter()
    window.window.actionTrain.trigger()
    window.wait(lambda: panel.controller.step >= 1, 60)  # this run's stream (the plots keep the last run until it begins)
    seconds = time.perf_counter() - start
    window.wait(lambda: not panel.running, 120)
    return seconds


def p8(device: torch.device, quick: bool) -> list[Row]:
    """Train pressed → the first live point on the loss plot, with the spare process ready (and without)."""
    app = _app()
    rounds = 2 if quick else 4
    warm, cold = [], []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        _series_task(work)
        window = _Window(app, work / "series.csv", 1, steps=30, probe_every=50)
        pool = window.panel.controller.pool
        for i in range(rounds):
            for spare in ((True, False) if i % 2 == 0 else (False, True)):
                pool.enabled = spare
                if spare:
                    window.panel.controller.prewarm()
                    _wait_idle(window, pool.spare.pid)  # the spare has imported torch and waits
                else:
                    pool.close()
                (warm if spare else cold).append(_first_point(window))
        window.close()
    a = statistics.median(warm)
    return [Row("P8", f"Train pressed → first live point, spare process ready ({_spread(warm)}; "
                      f"without a spare: {statistics.median(cold):.2f} s)", "P1's small shape, 1 thread", a,
                "≤ 2.0 s", a <= 2.0, unit="s", detail={"warm_s": warm, "cold_s": cold})]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory(device: torch.device, quick: bool) -> list[Row]:
    """RSS of the window and of its worker over a long run with probes (the default interval):
    each one's slope over the run's second half, and its growth from a quarter in to the end."""
    app = _app()
    steps = 2_000 if quick else LONG_STEPS
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        _series_task(work)
        window = _Window(app, work / "series.csv", 1, steps=steps, probe_every=50)
        samples: list[tuple[int, float, float]] = []
        window.window.actionTrain.trigger()
        panel = window.panel

        def sample() -> bool:
            pid = panel.controller.pid
            if pid is not None and panel.history.step:
                try:
                    sample = (panel.history.step, _rss_mb(os.getpid()), _rss_mb(pid))
                except OSError:  # the run's process just ended
                    sample = (0, float("nan"), float("nan"))
                if all(np.isfinite(sample[1:])):  # an ended process (a zombie) has no VmRSS
                    samples.append(sample)
            return not panel.running

        while not window.wait(sample, 0.5):
            pass
        window.close()
    s = np.asarray(samples)
    rows = []
    for col, who in ((1, "window"), (2, "worker")):
        half = s[s[:, 0] >= steps / 2]
        slope = float(np.polyfit(half[:, 0], half[:, col], 1)[0]) * 1000 if len(half) > 2 else float("nan")
        quarter = s[s[:, 0] >= steps / 4][0, col]
        growth = float((s[-1, col] - quarter) / quarter * 100)
        rows.append(Row("mem", f"RSS of the {who} over a {steps:,}-step run with probes: growth from ¼ to the end "
                               f"(slope {slope:+.2f} MB per 1000 steps, {s[-1, col]:.0f} MB at the end)",
                        "P1's small shape, probes every 50", growth, "< 5 %", bool(growth < 5.0), unit="%",
                        detail={"slope_mb_per_1000_steps": slope, "end_mb": float(s[-1, col])}))
    return rows
