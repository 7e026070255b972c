"""A run's files: where its folder goes, its checkpoint saved beside the design and read back.

A run folder is what ``rnn-designer train`` writes: a window's run of ``adding.rnnd`` goes to
``runs/adding-<date>-<time>`` beside the design — where the CLI puts it when started from the
design's folder — so both list in the design's run history; a design never saved trains into
the user's data folder (``RNN_DESIGNER_RUNS_DIR`` overrides both). A checkpoint is the engine's
(``engine.training.checkpoint``: a ``.safetensors`` with a ``.json`` sidecar holding the design's
structure hash, the task and its vocabularies, the step and the optimizer state), so
``rnn-designer train --resume`` and ``rnn-designer decode`` read the window's, and the window theirs.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from engine.document.design import Design

from .session import Continuation, TaskChoice, TrainedModel

RUNS_DIR_ENV = "RNN_DESIGNER_RUNS_DIR"


def runs_root(design_path: Path | None) -> Path:
    """The folder a design's runs go in: ``runs`` beside it, or the user's data folder."""
    override = os.environ.get(RUNS_DIR_ENV)
    if override:
        return Path(override)
    if design_path is not None:
        return design_path.parent / "runs"
    from engine.appdirs import app_data_dir

    return app_data_dir() / "runs"


def run_prefix(design_path: Path | None, design_name: str) -> str:
    """What a design's run folders' names start with (``adding-``)."""
    return f"{design_path.stem if design_path is not None else _safe(design_name)}-"


def new_run_dir(design_path: Path | None, design_name: str) -> Path:
    """A fresh folder for the next run of the design (``runs/<design>-<date>-<time>``)."""
    root = runs_root(design_path)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = root / f"{run_prefix(design_path, design_name)}{stamp}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    path.mkdir(parents=True)
    return path

OPTIMIZER_KINDS = {"Adam": "adam", "AdamW": "adamw", "SGD": "sgd"}


def default_checkpoint_path(design_path: Path | None, design_name: str, step: int) -> Path | None:
    """``<folder of the design>/<design>-step<N>.safetensors``; None for a design never saved."""
    if design_path is None:
        return None
    stem = design_path.stem or _safe(design_name)
    return design_path.parent / f"{stem}-step{step}.safetensors"


def default_metrics_path(design_path: Path | None, design_name: str) -> Path:
    folder = design_path.parent if design_path is not None else Path.home()
    stem = design_path.stem if design_path is not None else _safe(design_name)
    return folder / f"{stem}-metrics.csv"


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name or "design").strip("_") or "design"


def continuation_from(checkpoint: Path, choice: TaskChoice, design_hash: str,
                      run_dir: Path | None = None) -> Continuation | None:
    """What a next run may go on from: ``checkpoint`` (its sidecar read), or None when it is not there."""
    meta = _sidecar(checkpoint)
    if meta is None:
        return None
    kind = OPTIMIZER_KINDS.get((meta.get("optimizer") or {}).get("class", ""))
    weights = Path(checkpoint).with_suffix(".safetensors")
    if not weights.exists():
        return None
    return Continuation(weights, meta["step"], kind, choice.key(), str(meta.get("design_hash") or design_hash), run_dir)


def _sidecar(checkpoint: Path) -> dict | None:
    """The checkpoint's sidecar, read and checked by the engine (the one checkpoint record); None
    when it is missing or damaged (a next run then starts afresh)."""
    from engine.errors import CheckpointError
    from engine.training.sidecar import read_sidecar

    try:
        return read_sidecar(checkpoint)
    except CheckpointError:
        return None


def save_run_checkpoint(path: Path, run: Continuation) -> Path:
    """Copy ``run``'s checkpoint (weights and sidecar, checked to belong together) to ``path``;
    returns the weights' path. Raises the engine's ``CheckpointError`` naming the file."""
    from engine.training.checkpoint import copy_checkpoint

    return copy_checkpoint(run.checkpoint, path)


def load_run_checkpoint(path: Path, design: Design) -> tuple[TrainedModel, Continuation, TaskChoice]:
    """Read a checkpoint for ``design`` (refused, naming the differences, when made for another
    structure); its task is rebuilt from the sidecar. Raises the engine's ``CheckpointError`` or
    ``DataError``."""
    from engine.errors import CheckpointError
    from engine.model.compiler import compile_design
    from engine.training.checkpoint import load_checkpoint, read_sidecar

    meta = read_sidecar(path)
    choice = TaskChoice.from_metadata(meta.get("task"))
    if choice is None:
        raise CheckpointError(f"{path}: its sidecar names no task, so its data cannot be rebuilt")
    task = choice.build()
    model = compile_design(design)
    ckpt = load_checkpoint(path, design=design, model=model)
    model.eval()
    kind = OPTIMIZER_KINDS.get((ckpt.meta.get("optimizer") or {}).get("class", ""))
    trained = TrainedModel(model, task, design.structure_hash(), ckpt.path, dict(ckpt.meta.get("metrics") or {}),
                           ckpt.step)
    run = Continuation(ckpt.path, ckpt.step, kind, choice.key(), design.structure_hash(),
                       ckpt.path.parent if (ckpt.path.parent / "events.jsonl").exists() else None)
    return trained, run, choice
