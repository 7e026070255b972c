"""Starts and watches runs: the window's link to a run process and its event stream.

:meth:`TrainingController.start` writes the run folder (the design as it is now, with its task
and settings, and ``run.json``), hands it to the spare process kept ready (or launches one; more
than one process goes through torchrun) and follows the folder's event stream with a timer on
the GUI thread, at most 30 times a second. :meth:`watch` follows a run some other process
writes (``rnn-designer train`` in a terminal, rank 0 of a torchrun job); a finished one is read
at once, as history. The GUI thread only reads messages: it never trains.

Stop asks the process to end after the batch in flight (it keeps a checkpoint); one that has
not ended :data:`STOP_GRACE_MS` later is terminated, then killed, and the failure says so. A
process that dies on its own (a crash, an out-of-memory kill) ends in :attr:`failed` with what
happened and the last good checkpoint it left. :meth:`shutdown` (the window closing) ends the
run and the spare and waits for both.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from engine.training.run import DESIGN_FILE, SPEC_FILE, RunSpec

from .live_feed import FeedBatch, LiveFeed
from .run_files import continuation_from, load_run_checkpoint
from .session import RunFailure, RunOutcome, RunRequest, SamplePrediction, TaskChoice
from .worker import RunProcess, SparePool, describe_exit, log_tail

POLL_MS = 33  # the stream is read at most 30 times a second
POLL_BUSY_MS = 250  # ... and 4 times a second while the run keeps every core busy


def takes_every_core(request: RunRequest | None) -> bool:
    """Whether a run trains on as many CPU threads as the machine has cores: then whatever the
    window draws is taken from training, so it reads and draws less often."""
    if request is None or request.threads is None:
        return False
    return request.threads * max(1, request.processes) >= (os.cpu_count() or 1)
STOP_GRACE_MS = 5000  # after Stop, the batch in flight, a validation and a checkpoint
KILL_GRACE_MS = 2000  # after SIGTERM
EXIT_WAIT_S = 3.0  # a process that wrote its end has this long to go
REFILL_MS = 1000  # after a run, the next spare starts importing this much later


class TrainingController(QObject):
    began = Signal(object)  # dict: the stream's begin event (task, metrics, probe labels, notes ...)
    updated = Signal(object)  # TrainingUpdate
    finished = Signal(object)  # RunOutcome
    failed = Signal(object)  # RunFailure
    running_changed = Signal(bool)
    paused_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingController")
        self.pool = SparePool()
        self.process: RunProcess | None = None
        self.feed: LiveFeed | None = None
        self.request: RunRequest | None = None
        self.run_dir: Path | None = None
        self.watching = False  # following a run another process writes
        self._paused = False
        self._escalated = ""  # "terminated" / "killed" once Stop had to force the end
        self._timer = QTimer(self)
        self._timer.setObjectName("runStreamTimer")
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._tick)
        self._stop_timer = QTimer(self)
        self._stop_timer.setSingleShot(True)
        self._stop_timer.timeout.connect(self._escalate)
        self._refill_timer = QTimer(self)
        self._refill_timer.setSingleShot(True)
        self._refill_timer.setInterval(REFILL_MS)
        self._refill_timer.timeout.connect(self.prewarm)
        self._shut = False

    @property
    def running(self) -> bool:
        return self.feed is not None

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def step(self) -> int:
        """The newest step the stream has shown; 0 when nothing runs."""
        return self.feed.last_step if self.feed is not None else 0

    @property
    def busy(self) -> bool:
        """The run in progress takes every core (see :func:`takes_every_core`)."""
        return self.running and takes_every_core(self.request)

    @property
    def pid(self) -> int | None:
        """The run process's id (None when watching another's run, or idle)."""
        return self.process.pid if self.process is not None else None

    # ------------------------------------------------------------------ starting
    def prewarm(self) -> None:
        """Start the spare process now, so the next Train shows its first point at once."""
        if not self._shut:
            self.pool.fill()

    def start(self, request: RunRequest) -> None:
        if self.running:
            raise RuntimeError("a training run is already in progress")
        run_dir = request.run_dir
        from engine.document.design_file import save_design

        save_design(request.design, run_dir / DESIGN_FILE)
        prev = request.previous
        spec = RunSpec(design=str(run_dir / DESIGN_FILE), out_dir=str(run_dir), threads=request.threads,
                       samples=request.samples, resume=str(prev.checkpoint) if prev is not None else None,
                       extend=prev is not None)
        path = spec.save(run_dir / SPEC_FILE)
        process = self.pool.take(path) if request.processes <= 1 else None
        if process is None:
            process = RunProcess.launch(path, request.processes)
        self.process, self.request = process, request
        self._follow(run_dir)

    def watch(self, run_dir: Path) -> None:
        """Follow the run in ``run_dir`` until it ends (a finished run is read at once)."""
        if self.running:
            raise RuntimeError("a training run is already in progress")
        self.process, self.request, self.watching = None, None, True
        self._follow(run_dir)
        self._tick()

    def _follow(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.feed = LiveFeed(run_dir)
        self._escalated = ""
        self._set_paused(False)
        self._timer.setInterval(POLL_BUSY_MS if self.busy else POLL_MS)
        self._timer.start()
        self.running_changed.emit(True)

    # ------------------------------------------------------------------ control
    @property
    def distributed(self) -> bool:
        """The run is torchrun's (several processes): it can be stopped, not held."""
        return self.request is not None and self.request.processes > 1

    def pause(self) -> None:
        if self.process is not None and not self._paused and not self.distributed and self.process.send("pause"):
            self._set_paused(True)

    def resume(self) -> None:
        if self.process is not None and self._paused:
            self.process.send("resume")
            self._set_paused(False)

    def stop(self) -> None:
        """Ask the run to end after the batch in flight (Stop wins over Pause); ``finished`` follows.
        A watched run goes on: the window stops following it."""
        if self.watching:
            self._finish_watch_detached()
            return
        if self.process is None:
            return
        if self.distributed:  # torchrun's workers must stop together: end them all now, keeping the checkpoints
            self._escalated = "stopped"
            self.process.terminate()
            self._stop_timer.start(STOP_GRACE_MS)
            return
        self.process.send("stop")
        self._set_paused(False)
        if not self._stop_timer.isActive():
            self._stop_timer.start(STOP_GRACE_MS)

    def _escalate(self) -> None:
        process = self.process
        if process is None or not process.alive:
            return
        if not self._escalated:  # the polite stop ran out of time
            self._escalated = "terminated"
            process.terminate()
            self._stop_timer.start(KILL_GRACE_MS)
        else:  # terminated (or a torchrun stop) and still there
            if self._escalated != "stopped":
                self._escalated = "killed"
            process.kill()

    def shutdown(self) -> None:
        """End the run and the spare and wait for both (the window is closing). No signal follows."""
        self._shut = True
        self._timer.stop()
        self._stop_timer.stop()
        self._refill_timer.stop()
        process, self.process = self.process, None
        if process is not None:
            process.end(grace=STOP_GRACE_MS / 1000)
        self.pool.close()
        was_running = self.feed is not None
        self.feed, self.request, self.watching = None, None, False
        self._paused = False
        if was_running:
            self.running_changed.emit(False)

    # ------------------------------------------------------------------ following the stream
    def _tick(self) -> None:
        feed = self.feed
        if feed is None:
            return
        exited = self.process.poll() if self.process is not None else None
        batch = feed.poll()
        self._deliver(batch)
        if self.feed is not feed:  # a slot ended the run meanwhile
            return
        if batch.end is not None:
            self._end(self._outcome(batch.end))
        elif batch.failed is not None:
            self._fail(batch.failed)
        elif exited is not None:
            self._deliver(feed.poll())  # what it wrote just before it went
            self._crashed(exited)
        elif self.watching:
            self._check_writer_alive()

    def _deliver(self, batch: FeedBatch) -> None:
        if batch.begin is not None:
            self.began.emit(batch.begin)
        if batch.update is not None:
            self.updated.emit(batch.update)

    def _reap(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        try:
            process.wait(EXIT_WAIT_S)
        except Exception:  # noqa: BLE001 - it wrote its end but lingers: it goes now
            process.kill()
            process.wait(None)

    def _close(self) -> None:
        self._timer.stop()
        self._stop_timer.stop()
        if self.process is not None and not self._shut:
            self._refill_timer.start()  # the next run's spare
        self._reap()
        self.feed, self.request, self.watching = None, None, False
        self._paused = False
        self.running_changed.emit(False)

    def _end(self, outcome: RunOutcome) -> None:
        self._close()
        self.finished.emit(outcome)

    def _fail(self, event: dict[str, Any]) -> None:
        run_dir, touched = self.run_dir, bool(event.get("touched"))
        last_good = None if touched else self._last_good()  # weights that diverged: the next run starts fresh
        self._close()
        self.failed.emit(RunFailure(str(event.get("message", "the run failed")), touched, last_good, run_dir))

    def _crashed(self, code: int) -> None:
        run_dir, step, pid = self.run_dir, self.step, self.pid
        last_good = self._last_good()
        if self._escalated == "stopped":
            what = f"and its {self.request.processes if self.request else 'several'} workers were stopped"
        elif self._escalated:
            what = (f"did not end within {STOP_GRACE_MS // 1000} s of Stop, so it was {self._escalated}"
                    f" ({'SIGTERM' if self._escalated == 'terminated' else 'SIGKILL'})")
        else:
            what = describe_exit(code)
        message = f"The training process (pid {pid}) {what} at step {step}. The window keeps working."
        if last_good is not None:
            message += (f" The last good checkpoint is step {last_good.step} ({last_good.checkpoint}): Start goes on "
                        "from it, and the beam explorer can load it.")
        else:
            message += " No checkpoint had been saved yet."
        tail = log_tail(run_dir) if run_dir is not None and code > 0 and not self._escalated else ""
        if tail:
            message += f"\nIts last words:\n{tail}"
        self._close()
        self.failed.emit(RunFailure(message, step > 0, last_good, run_dir))

    def _check_writer_alive(self) -> None:
        """A watched run whose process is gone without an end (on this machine) ends here."""
        begin = self.feed.begin if self.feed is not None else None
        if not begin or begin.get("host") != socket.gethostname():
            return
        try:
            os.kill(int(begin["pid"]), 0)
        except ProcessLookupError:
            self._deliver(self.feed.poll())
            step, last_good, run_dir = self.step, self._last_good(), self.run_dir
            message = (f"The run's process (pid {begin['pid']}) ended at step {step} without finishing its stream "
                       "(killed, or crashed).")
            if last_good is not None:
                message += f" Its last good checkpoint is step {last_good.step} ({last_good.checkpoint})."
            self._close()
            self.failed.emit(RunFailure(message, step > 0, last_good, run_dir))
        except (PermissionError, KeyError, TypeError, ValueError):
            return

    def _finish_watch_detached(self) -> None:
        run_dir, step = self.run_dir, self.step
        self._close()
        self.failed.emit(RunFailure(f"Stopped following the run in {run_dir} at step {step}; it goes on where it "
                                    "was started.", False, None, run_dir, quiet=True))

    # ------------------------------------------------------------------ what a run leaves
    def _choice(self) -> TaskChoice | None:
        if self.request is not None:
            return self.request.task
        begin = self.feed.begin if self.feed is not None else None
        return TaskChoice.from_metadata((begin or {}).get("task_entry"))

    def _design_hash(self) -> str:
        if self.request is not None:
            return self.request.design_hash
        return str(((self.feed.begin if self.feed is not None else None) or {}).get("design_hash", ""))

    def _last_good(self) -> Any:
        choice = self._choice()
        if self.run_dir is None or choice is None:
            return None
        try:
            return continuation_from(self.run_dir / "latest.safetensors", choice, self._design_hash(), self.run_dir)
        except Exception:  # noqa: BLE001 - a torn sidecar: no checkpoint to offer
            return None

    def _outcome(self, end: dict[str, Any]) -> RunOutcome:
        """The run's result, with its model loaded from the checkpoint it ended with."""
        result = dict(end.get("result") or {})
        samples = [SamplePrediction(**s) for s in end.get("samples") or []]
        run_dir = self.run_dir
        continuation = self._last_good()
        trained = None
        if continuation is not None:
            design = self.request.design if self.request is not None else _design_in(run_dir)
            try:
                trained, _, _ = load_run_checkpoint(continuation.checkpoint, design)
                trained.metrics = dict(result.get("val") or trained.metrics)
            except Exception as exc:  # noqa: BLE001 - the run's numbers still show; say why no model
                result["model_note"] = f"its checkpoint could not be loaded ({exc})"
        return RunOutcome(result, trained, continuation, samples, dict(end.get("settings") or {}), run_dir)

    def _set_paused(self, paused: bool) -> None:
        if paused != self._paused:
            self._paused = paused
            self.paused_changed.emit(paused)


def _design_in(run_dir: Path | None) -> Any:
    from engine.document.design_file import load_design

    if run_dir is None:
        raise FileNotFoundError("no run folder")
    return load_design(run_dir / DESIGN_FILE)
