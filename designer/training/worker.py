"""The training worker: a QObject moved to its own QThread that runs the engine's Trainer once.

:class:`TrainingWorker` builds the task and the model (or takes the last run's), runs
``engine.training.Trainer`` with a :class:`~designer.training.live_feed.LiveFeed` callback, and
ends with exactly one of two signals:

- ``finished(RunOutcome)`` — the run ended (finished, stopped, early stopped or out of time);
- ``failed(str, bool)`` — it could not run, or the loss stopped being finite: a message for the
  user, and whether training had begun (then the weights are not to be trusted any more).

Everything it emits is a plain Python object or numpy array. ``stop``, ``pause`` and ``resume``
may be called from any thread: they set the Trainer's flags (a stop asked before the Trainer
exists is remembered), so Stop is honoured after the batch in flight.
"""
from __future__ import annotations

import copy
import sys
import threading
import traceback
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from engine.errors import DesignerError

from .live_feed import LiveFeed
from .session import Continuation, RunOutcome, RunRequest, TrainedModel


class TrainingWorker(QObject):
    began = Signal(object)  # dict: Trainer's on_train_begin info + "probe_inputs", "fresh", "notes"
    updated = Signal(object)  # TrainingUpdate
    finished = Signal(object)  # RunOutcome
    failed = Signal(str, bool)  # message, whether training had begun (the weights were touched)

    def __init__(self, request: RunRequest) -> None:
        super().__init__()
        self.setObjectName("trainingWorker")
        self.request = request
        self.feed = LiveFeed(self.updated.emit)
        self._lock = threading.Lock()
        self._trainer: Any = None
        self._stop_asked = False
        self._pause_asked = False
        self._training = False  # Trainer.run has begun

    # ------------------------------------------------------------------ control, any thread
    def stop(self) -> None:
        with self._lock:
            self._stop_asked = True
            if self._trainer is not None:
                self._trainer.stop()

    def pause(self) -> None:
        with self._lock:
            self._pause_asked = True
            if self._trainer is not None:
                self._trainer.pause()

    def resume(self) -> None:
        with self._lock:
            self._pause_asked = False
            if self._trainer is not None:
                self._trainer.resume()

    @property
    def step(self) -> int:
        """The Trainer's step right now (0 before it exists)."""
        trainer = self._trainer
        return int(trainer.step) if trainer is not None else 0

    # ------------------------------------------------------------------ the run, on the worker thread
    @Slot()
    def run(self) -> None:
        try:
            outcome = self._run()
        except DesignerError as exc:
            self.feed.flush()
            self.failed.emit(str(exc), self._training)
        except Exception as exc:  # noqa: BLE001 - a bug must not take the window down
            self.feed.flush()
            traceback.print_exc(file=sys.stderr)
            self.failed.emit(f"Training failed unexpectedly ({type(exc).__name__}: {exc}). "
                             "The window keeps working; please report this with the design file.", self._training)
        else:
            self.finished.emit(outcome)

    def _run(self) -> RunOutcome:
        from engine.training.probes import probe
        from engine.training.trainer import Trainer, TrainSettings, build_model

        from .probe_inputs import probe_inputs
        from .samples import sample_predictions

        req = self.request
        settings = TrainSettings.from_dict(req.settings)
        if req.threads:
            import torch

            torch.set_num_threads(req.threads)  # one core stays free for the window
        prev = req.previous
        notes: list[str] = []
        if prev is not None and prev.task_key == req.task.key() and prev.design_hash == req.design_hash:
            # a copy: the last run's model stays as it was for whoever decodes with it meanwhile
            task, model = prev.task, copy.deepcopy(prev.model)
        else:
            prev = None
            task = req.task.build()
            model = build_model(req.design, settings.seed)
        trainer = Trainer(model, task, settings, design=req.design, callbacks=[self.feed])
        if prev is not None:
            notes += self._continue(trainer, prev)
        with self._lock:
            self._trainer = trainer
            if self._stop_asked:
                trainer.stop()
            if self._pause_asked:
                trainer.pause()
        probe_batch = task.probe_batch(settings.probe_size) if settings.probe_every else None
        self.began.emit({"fresh": prev is None, "start_step": trainer.step, "total_steps": trainer.total_steps(),
                         "device": str(trainer.device), "task": task.name, "task_title": task.title,
                         "metrics": list(task.metrics), "main_metric": task.main_metric,
                         "higher_is_better": task.higher_is_better, "notes": notes,
                         "parameters": sum(p.numel() for p in model.parameters()),
                         "probe_inputs": probe_inputs(task, probe_batch) if probe_batch is not None else None})
        if probe_batch is not None:
            self.feed.add_probe(trainer.step, probe(trainer.model, probe_batch))  # the untrained (or resumed) state
        self._training = True
        result = trainer.run()
        model.eval()
        samples = sample_predictions(model, task, req.samples)
        trained = TrainedModel(model, task, req.design_hash, None, dict(result.get("val") or {}), trainer.step)
        continuation = Continuation(model, trainer.optimizer, settings.optimizer, task, req.task.key(), req.design_hash,
                                    trainer.step, trainer.epoch, trainer.batch_in_epoch, trainer.best, trainer.best_step)
        return RunOutcome(result, trained, continuation, samples, settings.to_dict())

    @staticmethod
    def _continue(trainer: Any, prev: Continuation) -> list[str]:
        """Carry the last run's step, epoch and optimizer state into ``trainer``; the new run's
        length is added on top. Returns notes for the user."""
        notes = []
        more = trainer.total_steps()
        trainer.step, trainer.epoch, trainer.batch_in_epoch = prev.step, prev.epoch, prev.batch_in_epoch
        trainer.best, trainer.best_step = prev.best, prev.best_step
        trainer.settings.steps = prev.step + more
        trainer.settings.epochs = None
        if prev.optimizer is not None and prev.optimizer_kind == trainer.settings.optimizer:
            try:
                trainer.optimizer.load_state_dict(prev.optimizer.state_dict())
            except (ValueError, KeyError):
                notes.append("the optimizer's state did not fit and starts afresh")
            for group in trainer.optimizer.param_groups:  # this run's settings win
                group["lr"] = trainer.settings.lr
                if "momentum" in group:
                    group["momentum"] = trainer.settings.momentum
        elif prev.optimizer is not None:
            notes.append(f"the optimizer changed ({prev.optimizer_kind} → {trainer.settings.optimizer}); its state starts afresh")
        return notes
