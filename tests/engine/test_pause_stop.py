"""Stop always wins over pause (issue 14's hang): a pause asked after a stop, a stop asked while
paused, both asked before the run starts in either order, or from racing threads — the run ends."""
from __future__ import annotations

import os
import random
import signal
import threading

import pytest

from engine.data.synthetic import AddingProblem
from engine.document.templates import template
from engine.training.trainer import Callback, Trainer, TrainSettings, build_model

ENDS_WITHIN_S = 60  # generous: a hang is forever, a slow CI machine is a few seconds


def _trainer(steps: int = 200, callbacks: list[Callback] | None = None) -> Trainer:
    design = template("many-to-one", cell="gru", hidden_size=8)
    task = AddingProblem(seq_len=10, train_size=256, val_size=32)
    return Trainer(build_model(design), task, TrainSettings(steps=steps, batch_size=8, probe_every=0),
                   design=design, callbacks=callbacks or [])


def _run_in_thread(trainer: Trainer) -> tuple[threading.Thread, dict]:
    out: dict = {}
    worker = threading.Thread(target=lambda: out.setdefault("result", trainer.run()), daemon=True)
    worker.start()
    return worker, out


def _ends(worker: threading.Thread, out: dict) -> dict:
    worker.join(ENDS_WITHIN_S)
    assert not worker.is_alive(), "the run never ended (stuck in its pause loop)"
    return out["result"]


def _press(trainer: Trainer, barrier: threading.Barrier, words: list[str]) -> None:
    barrier.wait()
    for word in words:
        getattr(trainer, word)()


@pytest.mark.parametrize("order", [("stop", "pause"), ("pause", "stop"), ("pause", "stop", "pause")])
def test_remembered_stop_beats_remembered_pause(order: tuple[str, ...]) -> None:
    """Pause and Stop pressed while the data is still being prepared (before the first batch)."""
    t = _trainer()
    for word in order:
        getattr(t, word)()
    assert t.stopping and not t.paused
    result = _ends(*_run_in_thread(t))
    assert result["status"] == "stopped" and result["step"] == 0


def test_stop_ends_a_paused_run_and_a_later_pause_does_not_hold_it() -> None:
    paused = threading.Event()

    class PauseAt3(Callback):
        def on_step(self, m: dict) -> None:
            if m["step"] == 3:
                t.pause()
                paused.set()

    t = _trainer(callbacks=[PauseAt3()])
    worker, out = _run_in_thread(t)
    assert paused.wait(ENDS_WITHIN_S)
    worker.join(0.2)
    assert worker.is_alive() and t.paused and t.step == 3
    t.stop()
    t.pause()  # a Pause pressed after Stop, before the run noticed: ignored
    result = _ends(worker, out)
    assert result["status"] == "stopped" and result["step"] == 3


def test_racing_pause_resume_and_stop_from_threads_always_end_the_run() -> None:
    """Many threads pressing Pause, Resume and Stop in random order, on many runs: each ends."""
    for seed in range(6):
        rng = random.Random(seed)
        t = _trainer(steps=10_000)
        worker, out = _run_in_thread(t)
        stop_at = rng.randrange(40)
        words = [rng.choice(("pause", "resume", "pause")) for _ in range(40)]
        words.insert(stop_at, "stop")
        barrier = threading.Barrier(4)

        pressers = [threading.Thread(target=_press, args=(t, barrier, words[i::4])) for i in range(4)]
        for p in pressers:
            p.start()
        for p in pressers:
            p.join()
        assert t.stopping and not t.paused
        assert _ends(worker, out)["status"] == "stopped"


def test_ctrl_c_ends_a_paused_run_in_the_main_thread() -> None:
    """``rnn-designer train`` paused (through its stream) and then Ctrl+C: it ends, interrupted."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a plain `python -m`
    try:
        _ctrl_c_while_paused()
    finally:
        signal.signal(signal.SIGINT, previous)


def _ctrl_c_while_paused() -> None:
    class PauseAt2(Callback):
        def on_step(self, m: dict) -> None:
            if m["step"] == 2:
                t.pause()
                threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()

    t = _trainer(callbacks=[PauseAt2()])
    result = t.run()  # in the main thread, where Ctrl+C is heard
    assert result["status"] == "interrupted" and result["step"] == 2
