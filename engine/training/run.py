"""One training run, as a process executes it: the design file in, a run folder out.

:func:`execute` is what ``rnn-designer train`` and the window's Train both do: read the design
document (its ``metadata["task"]`` and ``metadata["training"]``, with overrides on top), build the
task and the model, run the :class:`~engine.training.trainer.Trainer`, and write the run folder —
``design.rnnd`` (what was trained), the checkpoints ``latest`` and ``best``, ``metrics.csv``,
TensorBoard files when installed, and the live event stream (:mod:`engine.training.events`).

``python -m engine.training.run SPEC.json`` runs a :class:`RunSpec` in this process;
``python -m engine.training.run --standby`` imports torch and the engine first, then waits for
``run SPEC.json`` on its standard input — the window keeps one such spare process ready so that
pressing Train shows a first point at once. With ``--control`` (implied by ``--standby``),
standard input takes ``pause``, ``resume`` and ``stop`` (end after the batch in flight, keeping a
checkpoint) while the run goes on, and its end (the window went away) is a stop too. Output goes
to the run folder's ``worker.log``.
"""
from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from engine.errors import DesignerError, TrainingError

SPEC_FILE = "run.json"
DESIGN_FILE = "design.rnnd"
LOG_FILE = "worker.log"
OPTIMIZER_CLASSES = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD"}


@dataclass
class RunSpec:
    """What to run. ``task`` replaces the design's task (``{"name": ..., params}``); ``data`` trains
    on a file instead (``task_params`` go with either, or on top of the design's task);
    ``settings`` override ``metadata["training"]``; ``resume`` a checkpoint to go on from —
    with ``extend`` the run's length counts from the checkpoint's step (the window's Continue),
    without it the checkpoint's run is completed (the CLI's ``--resume``)."""

    design: str  # a design file
    out_dir: str  # the run folder
    task: dict[str, Any] | None = None
    data: str | None = None
    task_params: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    resume: str | None = None
    extend: bool = False
    threads: int | None = None  # torch's CPU threads; None: torch's choice
    samples: int = 5  # sample predictions in the end event

    def save(self, path: str | os.PathLike[str]) -> Path:
        path = Path(path)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RunSpec:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise TrainingError(f"{path}: cannot read the run's description ({exc})") from None
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class RunControl:
    """Pause, resume and stop for a run, asked from any thread, before or after its Trainer exists."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._trainer: Any = None
        self.stop_asked = False
        self.pause_asked = False

    def attach(self, trainer: Any) -> None:
        with self._lock:
            self._trainer = trainer
            if self.stop_asked:
                trainer.stop()
            elif self.pause_asked:
                trainer.pause()

    def command(self, word: str) -> None:
        with self._lock:
            trainer = self._trainer
            if word == "stop":
                self.stop_asked = True
                if trainer is not None:
                    trainer.stop()
            elif word == "pause":
                self.pause_asked = True
                if trainer is not None:
                    trainer.pause()
            elif word == "resume":
                self.pause_asked = False
                if trainer is not None:
                    trainer.resume()

    def urgent(self) -> bool:
        """True while the run is paused or stopping: what the stream holds must go out now."""
        trainer = self._trainer
        return trainer is not None and (trainer.paused or trainer.stopping)


def resolve_task(design: Any, task: dict[str, Any] | None = None, data: str | None = None,
                 params: dict[str, Any] | None = None, fallback: dict[str, Any] | None = None) -> Any:
    """The task from ``data`` (a file), ``task``, the design's metadata or ``fallback`` (a
    checkpoint's), in that order, with ``params`` on top."""
    from engine.data import TASKS, task_for_file, task_from_metadata

    params = dict(params or {})
    if data:
        return task_for_file(data, **params)
    entry = task or design.metadata.get("task") or fallback
    if entry:
        return task_from_metadata({**entry, **params})
    raise TrainingError(f'design "{design.name}" names no task in its metadata; pass --task NAME '
                        f'({", ".join(TASKS)}) or --data FILE')


def _settings(design: Any, spec: RunSpec) -> Any:
    from engine.training.trainer import TrainSettings

    base = design.metadata.get("training") or {}
    if not isinstance(base, dict):
        TrainSettings.from_dict(base)  # raises SettingsError naming what is wrong
    base = dict(base)
    overrides = dict(spec.settings)
    if "epochs" in overrides and "steps" not in overrides:
        base.pop("steps", None)  # epochs asked for beat steps in the metadata
    return TrainSettings.from_dict(base, **{**overrides, "out_dir": spec.out_dir})


def cell_kinds(design: Any) -> list[str]:
    """The recurrent cells a design uses (``lstm``, ``gru`` ...), for listing runs."""
    from engine.document.blocks import BLOCKS

    kinds = []
    for node in design.nodes.values():
        spec = BLOCKS.get(node.kind)
        if spec is not None and spec.recurrent:
            kinds.append(str(node.params.get("cell", node.kind)) if node.kind == "decoder" else node.kind)
    return sorted(set(kinds))


def _resume(trainer: Any, spec: RunSpec, notes: list[str]) -> None:
    """Go on from ``spec.resume``: the weights, the step and (with the same optimizer) its state."""
    from engine.training.checkpoint import load_checkpoint, read_sidecar

    meta = read_sidecar(spec.resume)
    s = trainer.settings
    if spec.extend:  # this run's length comes on top of the checkpoint's steps
        s.steps = int(meta.get("step", 0)) + trainer.total_steps()
        s.epochs = None
    saved_class = (meta.get("optimizer") or {}).get("class")
    if saved_class in (None, OPTIMIZER_CLASSES[s.optimizer]):
        trainer._resume(spec.resume)
        return
    ckpt = load_checkpoint(spec.resume, design=trainer.design, model=trainer.model)
    state = ckpt.run_state  # the one checkpoint record (engine.training.checkpoint.RunState)
    trainer.step, trainer.epoch, trainer.batch_in_epoch = state.step, state.epoch, state.batch_in_epoch
    trainer.best, trainer.best_step = state.best, state.best_step
    trainer.last_good = ckpt.path
    notes.append(f"the optimizer changed ({saved_class} → {OPTIMIZER_CLASSES[s.optimizer]}); its state starts afresh")


def execute(spec: RunSpec, callbacks: list[Any] | tuple[Any, ...] = (), control: RunControl | None = None) -> dict[str, Any]:
    """Run ``spec`` here; returns the Trainer's result. A user's mistake raises the project's own
    error after the stream has recorded it as ``failed``."""
    import torch

    from engine.document.design_file import load_design, save_design
    from engine.training.events import EventWriter
    from engine.training.probes import probe
    from engine.training.samples import probe_labels, sample_predictions
    from engine.training.trainer import Trainer, build_model

    control = control or RunControl()
    rank = int(os.environ.get("RANK", "0"))
    out = Path(spec.out_dir)
    writer = EventWriter(out, rank=rank, urgent=control.urgent)
    began = False
    try:
        if spec.threads:
            torch.set_num_threads(int(spec.threads))
        design = load_design(spec.design)
        if rank == 0 and Path(spec.design).resolve() != (out / DESIGN_FILE).resolve():
            save_design(design, out / DESIGN_FILE)
        task = resolve_task(design, spec.task, spec.data, spec.task_params)
        settings = _settings(design, spec)
        model = build_model(design, settings.seed)
        trainer = Trainer(model, task, settings, design=design, callbacks=[writer, *callbacks])
        notes: list[str] = []
        if spec.resume:
            _resume(trainer, spec, notes)
        probe_batch = task.probe_batch(settings.probe_size) if settings.probe_every and rank == 0 else None
        writer.begin_fields = {
            "fresh": not spec.resume, "task_title": task.title, "metrics": list(task.metrics),
            "main_metric": task.main_metric, "higher_is_better": task.higher_is_better, "notes": notes,
            "design_name": design.name, "design_hash": design.structure_hash(), "cells": cell_kinds(design),
            "task_entry": task.metadata(), "threads": torch.get_num_threads(),
            "probe_inputs": probe_labels(task, probe_batch) if probe_batch is not None else None}

        class FirstProbe:  # the untrained (or resumed) state, right after the begin event
            def on_train_begin(self, info: dict[str, Any]) -> None:
                if probe_batch is not None:
                    writer.add_probe(trainer.step, probe(trainer.model, probe_batch))

        trainer.callbacks.insert(1, FirstProbe())
        control.attach(trainer)
        began = True
        result = trainer.run()
        samples = [asdict(s) for s in sample_predictions(trainer.model, task, spec.samples)] if rank == 0 else []
        writer.end(result, samples=samples, settings=settings.to_dict(), epoch=trainer.epoch,
                   batch_in_epoch=trainer.batch_in_epoch)
        return result
    except DesignerError as exc:
        writer.fail(str(exc), touched=began and isinstance(exc, TrainingError))
        raise
    except Exception as exc:  # a bug: the stream says so, the caller shows the traceback where it belongs
        writer.fail(f"Training failed unexpectedly ({type(exc).__name__}: {exc}). Please report this with the "
                    f"design file; details are in {out / LOG_FILE}.", touched=began)
        raise
    finally:
        writer.close()


def _follow_stdin(control: RunControl) -> None:
    for line in sys.stdin:
        control.command(line.strip())
    control.command("stop")  # whoever started the run is gone: end it, keeping a checkpoint


def _redirect_output(path: Path) -> None:
    """Send this process's stdout and stderr (Python's and C's) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _warm_up() -> None:
    """What a spare does before its run: the slow imports, and one tiny training step, so the
    first optimizer (which imports torch's compiler stack) and the first kernels cost nothing later."""
    import torch

    import engine.training.probes  # noqa: F401
    import engine.training.trainer  # noqa: F401
    from engine.data import TASKS  # noqa: F401
    from engine.model.compiler import compile_design  # noqa: F401

    cell = torch.nn.LSTM(4, 4, batch_first=True)
    optimizer = torch.optim.Adam(cell.parameters())
    out, _ = cell(torch.zeros(2, 3, 4))  # (B, T, H)
    out.sum().backward()
    optimizer.step()


def main(argv: list[str] | None = None) -> int:
    import faulthandler
    import traceback

    args = list(sys.argv[1:] if argv is None else argv)
    control_stdin = "--control" in args or "--standby" in args
    args = [a for a in args if a != "--control"]
    if args[:1] == ["--standby"]:
        _warm_up()

        line = sys.stdin.readline().strip()
        if not line.startswith("run "):
            return 0  # told to go (or its window closed) before a run came
        args = [line[4:]]
    if len(args) != 1:
        print("usage: python -m engine.training.run [--control] SPEC.json | --standby", file=sys.stderr)
        return 2
    spec = RunSpec.load(args[0])
    rank = int(os.environ.get("RANK", "0"))
    _redirect_output(Path(spec.out_dir) / (LOG_FILE if rank == 0 else f"worker-rank{rank}.log"))
    faulthandler.enable()
    control = RunControl()
    if control_stdin:
        threading.Thread(target=_follow_stdin, args=(control,), name="run-control", daemon=True).start()
    try:
        execute(spec, control=control)
        code = 0
    except DesignerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    except Exception:  # noqa: BLE001 - recorded in the stream; the traceback goes to the log
        traceback.print_exc()
        code = 1
    finally:
        try:
            import torch.distributed as dist

            if dist.is_available() and dist.is_initialized():
                dist.destroy_process_group()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # everything is written; skip the interpreter's slow teardown


if __name__ == "__main__":
    sys.exit(main())
