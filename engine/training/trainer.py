"""The Trainer: makes a compiled design learn a task, and tells whoever listens how it goes.

It knows nothing about who watches. Listeners are callbacks — any object with some of these
methods (a missing one is skipped; :class:`Callback` has them all as no-ops):

- ``on_train_begin(info)`` — ``info``: device, world size, steps per epoch, total steps, parameters;
- ``on_step(metrics)`` — after every optimizer step: ``step``, ``epoch``, ``loss``, ``grad_norm``,
  ``lr``, ``seconds``;
- ``on_probe(event)`` — every ``probe_every`` steps: ``{"step", "epoch", "trace"}`` where
  ``trace`` is :func:`engine.training.probes.probe` on the task's fixed probe batch;
- ``on_validation(summary)`` — after every validation: ``step``, ``epoch``, ``val`` (metric →
  value), ``best``, ``improved``;
- ``on_epoch_end(summary)`` — ``epoch``, ``step``, ``train_loss`` (the epoch's mean), ``val``,
  ``best``, ``seconds``;
- ``on_train_end(result)`` — the same dict :meth:`Trainer.run` returns.

The CLI's progress bar, the CSV and TensorBoard loggers, and the window's plots are all just
callbacks. :meth:`Trainer.stop` (any thread) ends the run after the batch in flight;
:meth:`Trainer.pause` / :meth:`Trainer.resume` hold it between batches.

Under ``torchrun`` the same run is data-parallel (DistributedDataParallel; gloo on CPU, nccl on
CUDA): each process trains on its share of every epoch, all of them validate on the whole
validation set (so they take the same decisions), and only rank 0 calls callbacks and writes
checkpoints and logs.
"""
from __future__ import annotations

import math
import os
import signal
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.data import Task
from engine.data.batch import Batch
from engine.devices import pick_device
from engine.errors import CheckpointError, DesignerError, TrainingError
from engine.model.task_fit import fit_problems
from engine.training.callbacks import Callback as Callback  # re-exported: its old home
from engine.training.checkpoint import RunState, load_checkpoint, save_run
from engine.training.divergence import DivergenceWatch
from engine.training.metrics import evaluate
from engine.training.probes import probe
from engine.training.settings import OPTIMIZERS as OPTIMIZERS  # re-exported: the settings' old home
from engine.training.settings import SCHEDULES as SCHEDULES
from engine.training.settings import TrainSettings

PAUSE_POLL_S = 0.2  # how often a paused run looks for Ctrl+C (stop and resume wake it at once)


def _tensorboard_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorboard") is not None


def _distributed() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment; (0, 1, 0) when alone."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, 0
    return int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0"))


def _better(a: float, b: float | None, higher: bool) -> bool:
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return not math.isnan(a)
    return a > b if higher else a < b


class Trainer:
    """Trains ``model`` on ``task`` with ``settings``; :meth:`run` does it and returns a summary.

    ``design`` (optional, recommended) lets the trainer refuse a design that does not fit the
    task, naming the node and parameter, and ties checkpoints to the design's structure."""

    def __init__(self, model: nn.Module, task: Task, settings: TrainSettings | None = None, *,
                 design: Any = None, callbacks: Iterable[Any] = (), resume: str | os.PathLike[str] | None = None) -> None:
        self.settings = settings or TrainSettings()
        self.settings.validate()
        self.task, self.design = task, design
        self.callbacks = list(callbacks)
        if design is not None:
            problems = fit_problems(task, design)
            if problems:
                raise TrainingError(f'design "{design.name}" does not fit task "{task.name}":\n'
                                    + "\n".join(f"  - {p}" for p in problems))
        self.rank, self.world, self.local_rank = _distributed()
        try:
            self.device = pick_device(self.settings.device, self.local_rank)
        except DesignerError as exc:
            raise TrainingError(str(exc)) from None
        self.model = model.to(self.device)
        self.net: nn.Module = self.model  # what forward() goes through: the DDP wrapper when distributed
        self.optimizer = self._make_optimizer()
        self.step = 0
        self.epoch = 0
        self.batch_in_epoch = 0
        self.best: float | None = None
        self.best_step: int | None = None
        self.last_val: dict[str, float] = {}
        self.last_good: Path | None = None
        self.lr_scale = 1.0  # the plateau schedule's factor
        self._stop = threading.Event()
        self._running = threading.Event()  # clear while paused
        self._running.set()
        self._control_lock = threading.Lock()  # pause/resume/stop from any thread, one at a time
        self._loggers: list[Any] = []
        self._interrupted = threading.Event()  # set by Ctrl+C (SIGINT) while run() holds the main thread
        self._watch = DivergenceWatch()
        if resume is not None:
            self._resume(resume)

    # ------------------------------------------------------------------ control (any thread)
    # Stop always wins over pause, whatever the order and whichever threads ask: a pause asked
    # after a stop does nothing, and a paused run wakes and ends when stopped (or interrupted).
    def stop(self) -> None:
        """End the run after the batch in flight (a paused run ends at once)."""
        with self._control_lock:
            self._stop.set()
            self._running.set()

    def pause(self) -> None:
        """Hold the run before its next batch, until :meth:`resume` or :meth:`stop`; does nothing
        once the run is stopping."""
        with self._control_lock:
            if not self._stop.is_set():
                self._running.clear()

    def resume(self) -> None:
        with self._control_lock:
            self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set() and not self._stop.is_set()

    def _wait_while_paused(self) -> None:
        """The pause loop: return when resumed, stopped or interrupted (Ctrl+C sets no event the
        wait would see, so it is looked at a few times a second)."""
        while not self._running.wait(PAUSE_POLL_S):
            if self._stop.is_set() or self._interrupted.is_set():
                return

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # ------------------------------------------------------------------ set-up
    def _make_optimizer(self) -> torch.optim.Optimizer:
        s, params = self.settings, self.model.parameters()
        if s.optimizer == "sgd":
            return torch.optim.SGD(params, lr=s.lr, momentum=s.momentum, weight_decay=s.weight_decay)
        if s.optimizer == "adamw":
            return torch.optim.AdamW(params, lr=s.lr, weight_decay=s.weight_decay)
        return torch.optim.Adam(params, lr=s.lr, weight_decay=s.weight_decay)

    def _resume(self, path: str | os.PathLike[str]) -> None:
        ckpt = load_checkpoint(path, design=self.design, model=self.model)
        meta = ckpt.meta
        if meta.get("task") and meta["task"].get("name") != self.task.name:
            raise CheckpointError(f'{ckpt.path}: field "task": it was trained on task "{meta["task"].get("name")}", '
                                  f'not "{self.task.name}"; resume it on the same task')
        if ckpt.optimizer is not None:
            try:
                self.optimizer.load_state_dict(ckpt.optimizer)
            except (ValueError, KeyError, TypeError) as exc:
                raise CheckpointError(f"{ckpt.path}: its optimizer state does not fit ({exc}); "
                                      "resume with the same optimizer") from None
        state = ckpt.run_state
        self.lr_scale = state.lr_scale if self.settings.lr_schedule == "plateau" else 1.0
        self.step, self.epoch, self.batch_in_epoch = state.step, state.epoch, state.batch_in_epoch
        self.best, self.best_step = state.best, state.best_step
        self._set_lr()
        if "torch" in ckpt.rng:
            torch.set_rng_state(ckpt.rng["torch"])
        self._resumed_rng = True
        self.last_good = ckpt.path

    def _catch_sigint(self) -> Any:
        """While :meth:`run` trains in the main thread, a first Ctrl+C ends the run after the step
        in flight and saves it; a second one interrupts at once. Returns what restores the handler."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = signal.getsignal(signal.SIGINT)
        if previous is not signal.default_int_handler:
            return lambda: None  # someone (a GUI, a test runner) handles Ctrl+C already

        def on_sigint(signum: int, frame: Any) -> None:
            if self._interrupted.is_set():
                raise KeyboardInterrupt
            self._interrupted.set()

        signal.signal(signal.SIGINT, on_sigint)
        return lambda: signal.signal(signal.SIGINT, previous)

    def steps_per_epoch(self) -> int:
        return self.task.num_batches(self.settings.batch_size, self.world)

    def total_steps(self) -> int:
        s = self.settings
        if s.steps is not None:
            return s.steps
        return (s.epochs or 10) * self.steps_per_epoch()

    # ------------------------------------------------------------------ running
    def run(self) -> dict[str, Any]:
        """Train until the steps or epochs are done, early stopping triggers, the time limit passes
        or :meth:`stop` is called. Raises :class:`TrainingError` when the loss stops being finite."""
        s = self.settings
        if not getattr(self, "_resumed_rng", False):
            torch.manual_seed(s.seed)
        ddp = self._setup_distributed()
        self._open_loggers()
        total, per_epoch = self.total_steps(), self.steps_per_epoch()
        start = time.perf_counter()
        status = "finished"
        self._emit("on_train_begin", {
            "device": str(self.device), "world_size": self.world, "steps_per_epoch": per_epoch,
            "total_steps": total, "start_step": self.step, "task": self.task.name,
            "parameters": sum(p.numel() for p in self.model.parameters()), "settings": s.to_dict()})
        probe_batch = self.task.probe_batch(s.probe_size) if s.probe_every and self.rank == 0 else None
        bad_evals = 0
        validated_at = -1
        restore_sigint = self._catch_sigint()
        try:
            while self.step < total and status == "finished":
                epoch_loss, epoch_batches = 0.0, 0
                skip, self.batch_in_epoch = self.batch_in_epoch, 0
                for i, batch in enumerate(self.task.batches("train", s.batch_size, self.epoch,
                                                            rank=self.rank, world=self.world)):
                    if i < skip:  # resuming inside an epoch: these batches were trained on already
                        self.batch_in_epoch = i + 1
                        continue
                    if self.step >= total:
                        break
                    self._wait_while_paused()
                    if self._stop.is_set():
                        status = "stopped"
                        break
                    if self._interrupted.is_set():  # Ctrl+C: end here, save below
                        status = "interrupted"
                        break
                    if s.time_limit is not None and time.perf_counter() - start > s.time_limit:
                        status = "time_limit"
                        break
                    loss, grad_norm = self._train_step(batch)
                    self.step += 1
                    self.batch_in_epoch = i + 1
                    epoch_loss += loss
                    epoch_batches += 1
                    self._watch.add(loss)
                    self._emit("on_step", {"step": self.step, "epoch": self.epoch, "loss": loss,
                                           "grad_norm": grad_norm, "lr": self.optimizer.param_groups[0]["lr"],
                                           "seconds": time.perf_counter() - start})
                    if probe_batch is not None and self.step % s.probe_every == 0:
                        self._emit("on_probe", {"step": self.step, "epoch": self.epoch,
                                                "trace": probe(self.model, probe_batch)})
                    if s.eval_every and self.step % s.eval_every == 0:
                        validated_at = self.step
                        if self._validate() and s.patience:
                            bad_evals = 0
                        elif s.patience:
                            bad_evals += 1
                        if s.patience and bad_evals >= s.patience:
                            status = "early_stopped"
                    if status != "finished":
                        break
                else:  # the epoch ran to its end
                    self.epoch += 1
                    self.batch_in_epoch = 0
                    if not s.eval_every:
                        validated_at = self.step
                        improved = self._validate()
                        bad_evals = 0 if improved else bad_evals + 1
                        if s.patience and bad_evals >= s.patience:
                            status = "early_stopped"
                    self._emit("on_epoch_end", {"epoch": self.epoch, "step": self.step,
                                                "train_loss": epoch_loss / max(1, epoch_batches),
                                                "val": dict(self.last_val), "best": self.best,
                                                "seconds": time.perf_counter() - start})
                    continue
                break  # stopped, early stopped, out of time or out of steps inside the epoch
            if status == "interrupted":
                self._save("latest")  # at the interrupt: no trained step is lost
            elif validated_at != self.step and self.step > 0:
                self._validate()
        finally:
            restore_sigint()
            self._close_loggers()
            if ddp:
                self.net = self.model
        result = {"status": status, "step": self.step, "epoch": self.epoch, "val": dict(self.last_val),
                  "main_metric": self.task.main_metric, "best": self.best, "best_step": self.best_step,
                  "seconds": time.perf_counter() - start,
                  "checkpoint": str(self.last_good) if self.last_good else None,
                  "warnings": self._watch.warnings(self.last_val, self.settings.lr)}
        self._emit("on_train_end", result)
        return result

    def _train_step(self, batch: Batch) -> tuple[float, float]:
        s = self.settings
        self.model.train()
        batch = batch.to(self.device)
        self.optimizer.zero_grad(set_to_none=True)
        output = self.net(batch.x, batch.lengths, batch.y_in)
        loss = self.model.loss(output, batch.y, batch.y_mask)
        loss.backward()
        max_norm = s.clip if s.clip else float("inf")
        grad_norm = float(torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm))
        self._set_lr()
        value = loss.detach()
        if self.world > 1:
            import torch.distributed as dist

            value = value.clone()
            dist.all_reduce(value)
            value /= self.world
        value = float(value)
        if not math.isfinite(value) or not math.isfinite(grad_norm):
            self._fail(value, grad_norm)
        self.optimizer.step()
        return value, grad_norm

    def _set_lr(self) -> None:
        """The learning rate of the step about to be taken, from the settings' schedule."""
        s = self.settings
        lr = s.lr * self.lr_scale
        if s.lr_schedule == "cosine":
            total = max(1, self.total_steps())
            lr = s.lr * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * min(self.step, total) / total)))
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def _fail(self, loss: float, grad_norm: float) -> None:
        what = f"the loss became {loss}" if not math.isfinite(loss) else f"the gradient norm became {grad_norm}"
        kept = (f"the last good checkpoint is {self.last_good}" if self.last_good
                else "no checkpoint had been saved yet" + ("" if self.settings.out_dir else " (no --out folder)"))
        hint = f"lower the learning rate (now {self.settings.lr:g})"
        hint += " or turn on gradient clipping (clip)" if not self.settings.clip else f" or the clip norm (now {self.settings.clip:g})"
        raise TrainingError(f"training stopped at step {self.step + 1} (epoch {self.epoch + 1}): {what}; "
                            f"{kept}. Try to {hint}.")

    def _validate(self) -> bool:
        """Score the validation split, save checkpoints; True when the main metric improved."""
        val = evaluate(self.model, self.task, self.settings.val_batch_size, self.device)
        self.last_val = val
        main = val.get(self.task.main_metric, float("nan"))
        if math.isnan(main) or math.isinf(main):
            improved = False
        else:
            improved = _better(main, self.best, self.task.higher_is_better)
        if not improved and self.settings.lr_schedule == "plateau":
            self.lr_scale *= 0.5
            self._set_lr()
        if improved:
            self.best, self.best_step = main, self.step
            self._save("best")
        self._save("latest")
        self._emit("on_validation", {"step": self.step, "epoch": self.epoch, "val": dict(val),
                                     "best": self.best, "improved": improved})
        return improved

    def _save(self, name: str) -> Path | None:
        """Write checkpoint ``name``; "latest" becomes the last good one only when the loss and
        every validation metric are finite (a run that blew up keeps pointing at the one before)."""
        if self.rank != 0 or not self.settings.out_dir:
            return None
        state = RunState(self.step, self.epoch, self.batch_in_epoch, self.best, self.best_step, self.lr_scale)
        finite = all(math.isfinite(v) for v in self.last_val.values())
        if name == "latest" and not finite and self.last_good is not None:
            name = "diverged"  # keep "latest" the last good one; this one is kept to look at
        path = save_run(Path(self.settings.out_dir) / name, self.model, optimizer=self.optimizer, task=self.task,
                        state=state, design=self.design, settings=self.settings.to_dict(), metrics=self.last_val)
        if name == "latest" and finite:
            self.last_good = path
        return path

    def _setup_distributed(self) -> bool:
        if self.world <= 1:
            return False
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel

        if not dist.is_initialized():
            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")
        ids = [self.device.index] if self.device.type == "cuda" else None
        self.net = DistributedDataParallel(self.model, device_ids=ids)
        return True

    def _open_loggers(self) -> None:
        s = self.settings
        if self.rank != 0 or not s.out_dir:
            return
        from engine.training.metrics import CSVLogger, TensorBoardLogger

        out = Path(s.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self._loggers = [CSVLogger(out / "metrics.csv", self.task.metrics, append=self.step > 0)]
        if s.tensorboard or (s.tensorboard is None and _tensorboard_installed()):
            self._loggers.append(TensorBoardLogger(out / "tensorboard"))

    def _close_loggers(self) -> None:
        for logger in self._loggers:
            logger.close()
        self._loggers = []

    def _emit(self, hook: str, payload: dict[str, Any]) -> None:
        if self.rank != 0:
            return
        for cb in self._loggers + self.callbacks:
            fn = getattr(cb, hook, None)
            if fn is not None:
                fn(payload)


def build_model(design: Any, seed: int = 0) -> nn.Module:
    """Compile ``design`` with its weights initialised from ``seed`` (the same seed, the same model)."""
    from engine.model.compiler import compile_design

    torch.manual_seed(seed)
    return compile_design(design)


def train_design(design: Any, task: Task | None = None, settings: TrainSettings | None = None,
                 callbacks: Iterable[Any] = (), resume: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Compile and train ``design`` on ``task`` (default: the one its metadata names) with
    ``settings`` (default: its ``metadata["training"]``); returns :meth:`Trainer.run`'s summary."""
    from engine.data import task_from_metadata

    if task is None:
        if "task" not in design.metadata:
            raise TrainingError(f'design "{design.name}" names no task in its metadata; pick one (e.g. --task adding)')
        task = task_from_metadata(design.metadata["task"])
    settings = settings or TrainSettings.from_dict(design.metadata.get("training"))
    model = build_model(design, settings.seed)
    return Trainer(model, task, settings, design=design, callbacks=callbacks, resume=resume).run()
