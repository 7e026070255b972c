"""Owns the worker thread of the run in progress: start, pause, resume, stop, and a clean shutdown.

One QThread per run: :meth:`TrainingController.start` creates it with a fresh
:class:`~designer.training.worker.TrainingWorker` moved onto it; when the worker reports the end
the thread is quit and waited for, so no thread outlives its run. Every worker signal crosses
into the GUI thread through a queued connection, so updates arrive in the order they were made
and the window is only touched on its own thread. :meth:`shutdown` (the window closing) stops the
run and waits for the thread — Qt never sees a QThread destroyed while it runs.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal

from .session import RunOutcome, RunRequest
from .worker import TrainingWorker

PAUSED_FLUSH_MS = 200  # while paused, send what the worker gathered since its last update


class TrainingController(QObject):
    began = Signal(object)  # dict (see TrainingWorker.began)
    updated = Signal(object)  # TrainingUpdate
    finished = Signal(object)  # RunOutcome
    failed = Signal(str, bool)  # message, whether the weights were touched (see TrainingWorker.failed)
    running_changed = Signal(bool)
    paused_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingController")
        self.thread: QThread | None = None
        self.worker: TrainingWorker | None = None
        self._paused = False
        self._flush_timer = QTimer(self)
        self._flush_timer.setObjectName("pausedFlushTimer")
        self._flush_timer.setInterval(PAUSED_FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush_paused)

    @property
    def running(self) -> bool:
        return self.thread is not None

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def step(self) -> int:
        """The worker's Trainer step right now; 0 when nothing runs."""
        return self.worker.step if self.worker is not None else 0

    # ------------------------------------------------------------------ control
    def start(self, request: RunRequest) -> None:
        if self.running:
            raise RuntimeError("a training run is already in progress")
        thread = QThread()
        thread.setObjectName("trainingThread")
        worker = TrainingWorker(request)
        worker.moveToThread(thread)
        queued = Qt.ConnectionType.QueuedConnection
        worker.began.connect(self.began, queued)
        worker.updated.connect(self.updated, queued)
        worker.finished.connect(self._on_finished, queued)
        worker.failed.connect(self._on_failed, queued)
        thread.started.connect(worker.run)
        thread.finished.connect(worker.deleteLater)
        self.thread, self.worker = thread, worker
        self._set_paused(False)
        thread.start()
        self.running_changed.emit(True)

    def pause(self) -> None:
        if self.worker is not None and not self._paused:
            self.worker.pause()
            self._set_paused(True)

    def resume(self) -> None:
        if self.worker is not None and self._paused:
            self.worker.resume()
            self._set_paused(False)

    def stop(self) -> None:
        """Ask the run to end after the batch in flight; ``finished`` follows."""
        if self.worker is not None:
            self.worker.stop()
            self._set_paused(False)

    def shutdown(self) -> None:
        """Stop the run and wait for its thread (the window is closing). No signal follows."""
        if self.thread is None:
            return
        worker, _thread = self.worker, self.thread
        for signal in (worker.began, worker.updated, worker.finished, worker.failed):
            try:
                signal.disconnect()
            except (RuntimeError, TypeError):  # nothing connected any more
                pass
        worker.stop()
        self._join()
        self.running_changed.emit(False)

    # ------------------------------------------------------------------ the end of a run
    def _join(self) -> None:
        thread = self.thread
        self._flush_timer.stop()
        self._paused = False
        self.thread, self.worker = None, None
        if thread is not None:
            thread.quit()
            thread.wait()  # returns once run() is over and the worker deleted (thread.finished)

    def _on_finished(self, outcome: RunOutcome) -> None:
        if self.thread is None:
            return
        self._join()
        self.running_changed.emit(False)
        self.finished.emit(outcome)

    def _on_failed(self, message: str, touched: bool) -> None:
        if self.thread is None:
            return
        self._join()
        self.running_changed.emit(False)
        self.failed.emit(message, touched)

    def _set_paused(self, paused: bool) -> None:
        if paused:
            self._flush_timer.start()
        else:
            self._flush_timer.stop()
        if paused != self._paused:
            self._paused = paused
            self.paused_changed.emit(paused)

    def _flush_paused(self) -> None:
        if self.worker is not None:
            self.worker.feed.flush()
