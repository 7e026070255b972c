"""A run's files: its checkpoint, saved beside the design, read back, and its metrics as CSV.

A checkpoint written here is the one ``rnn-designer train`` writes (``engine.training.checkpoint``: a
``.safetensors`` with a ``.json`` sidecar holding the design's structure hash, the task and its
vocabularies, the step and the optimizer state), so ``rnn-designer train --resume`` and
``rnn-designer decode`` read it, and the window reads theirs.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from engine.document.design import Design

from .session import Continuation, TaskChoice, TrainedModel

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


def save_run_checkpoint(path: Path, run: Continuation, design: Design, settings: dict[str, Any],
                        metrics: dict[str, float]) -> Path:
    """Write ``run``'s weights and optimizer as a checkpoint at ``path``; returns the weights' path."""
    from engine.training.checkpoint import save_checkpoint

    task = run.task
    vocabs = {k: v.to_dict() for k, v in (("source", task.source_vocab), ("target", task.target_vocab)) if v is not None}
    return save_checkpoint(path, run.model, design=design, optimizer=run.optimizer, step=run.step, epoch=run.epoch,
                           metrics=metrics, settings=settings, task=task.metadata(), vocabs=vocabs,
                           extra={"batch_in_epoch": run.batch_in_epoch, "best": run.best, "best_step": run.best_step,
                                  "main_metric": task.main_metric})


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
    optimizer, kind = None, None
    opt_meta = ckpt.meta.get("optimizer") or {}
    kind = OPTIMIZER_KINDS.get(opt_meta.get("class", ""))
    if ckpt.optimizer is not None and kind is not None:
        optimizer = _optimizer(kind, model)
        try:
            optimizer.load_state_dict(ckpt.optimizer)
        except (ValueError, KeyError):
            optimizer = None  # a new run starts its optimizer afresh
    trained = TrainedModel(model, task, design.structure_hash(), ckpt.path, dict(ckpt.meta.get("metrics") or {}),
                           ckpt.step)
    run = Continuation(model, optimizer, kind, task, choice.key(), design.structure_hash(), ckpt.step,
                       int(ckpt.meta.get("epoch", 0)), int(ckpt.meta.get("batch_in_epoch", 0)),
                       ckpt.meta.get("best"), ckpt.meta.get("best_step"))
    return trained, run, choice


def _optimizer(kind: str, model: Any) -> Any:
    import torch

    params = model.parameters()
    if kind == "sgd":
        return torch.optim.SGD(params, lr=1e-3, momentum=0.9)
    if kind == "adamw":
        return torch.optim.AdamW(params)
    return torch.optim.Adam(params)
