"""Checkpoints: weights as safetensors beside a JSON sidecar that says what they belong to.

``NAME.safetensors`` holds tensors only — the model's ``model/…``, the optimizer's ``optimizer/…``
and the random generators' ``rng/…`` — so loading one never runs code (no pickle; this module
never calls ``torch.load``). ``NAME.json`` holds the design's ``structure_hash()`` and its
structure, the step, epoch, metrics, training settings, task and vocabularies, the optimizer's
non-tensor state, and **the weights file's SHA-256 and step**. Both files are flushed to disk
under temporary names and then renamed back to back (:func:`engine.files.atomic_write_many`). A
process killed between the two renames leaves weights of one save beside the sidecar of another:
such a pair is never half-resumed — the weights carry their own record (the sidecar's text, in
their safetensors header), which then replaces the stale sidecar; weights without one are refused.
A checkpoint is also refused, with the field or the differences
named, when its sidecar is malformed (every field is type-checked), its tensors do not fit the
model or optimizer, or it was made for a design of another structure.

This module (with :mod:`engine.training.sidecar`, which reads the sidecar without torch) is the
one place that writes and reads checkpoints; :class:`RunState` is the record of where a run
stands, shared by the Trainer and the window.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from torch import nn

from engine.errors import CheckpointError
from engine.files import atomic_write_many, os_error_message
from engine.training.sidecar import FORMAT, VERSION, check_sidecar, paths_of, read_sidecar

__all__ = ["FORMAT", "VERSION", "Checkpoint", "RunState", "copy_checkpoint", "design_mismatch", "load_checkpoint",
           "load_weights", "paths_of", "read_sidecar", "save_checkpoint", "save_run"]

_SHAPED_STATE = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "momentum_buffer")  # same shape as the parameter


@dataclass
class RunState:
    """Where a run stands — what a checkpoint must keep for a resumed run to continue exactly."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0  # batches of ``epoch`` already trained on
    best: float | None = None  # the best value of the task's main metric so far
    best_step: int | None = None
    lr_scale: float = 1.0  # the plateau schedule's factor


@dataclass
class Checkpoint:
    """A checkpoint read back: its sidecar (``meta``) and its tensors by group."""

    path: Path  # the .safetensors file
    meta: dict[str, Any]
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any] | None = None  # a state_dict ready for Optimizer.load_state_dict
    rng: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def step(self) -> int:
        return int(self.meta.get("step", 0))

    @property
    def run_state(self) -> RunState:
        m = self.meta
        return RunState(self.step, int(m.get("epoch", 0)), int(m.get("batch_in_epoch", 0)), m.get("best"),
                        m.get("best_step"), float(m.get("lr_scale", 1.0)))


def save_checkpoint(path: str | os.PathLike[str], model: nn.Module, *, design: Any = None,
                    optimizer: torch.optim.Optimizer | None = None, step: int = 0, epoch: int = 0,
                    metrics: dict[str, Any] | None = None, settings: dict[str, Any] | None = None,
                    task: dict[str, Any] | None = None, vocabs: dict[str, Any] | None = None,
                    extra: dict[str, Any] | None = None) -> Path:
    """Write ``path``.safetensors and ``path``.json; returns the weights' path. Raises
    :class:`CheckpointError` naming the folder when it cannot be written (full, read-only)."""
    weights, sidecar = paths_of(path)
    model = getattr(model, "module", model)
    tensors = {f"model/{k}": v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()}
    opt_meta = None
    if optimizer is not None:
        sd = optimizer.state_dict()
        scalars: dict[str, dict[str, Any]] = {}
        for pid, state in sd["state"].items():
            for key, value in state.items():
                if isinstance(value, torch.Tensor):
                    tensors[f"optimizer/{pid}/{key}"] = value.detach().cpu().clone().contiguous()
                else:
                    scalars.setdefault(str(pid), {})[key] = value
        opt_meta = {"class": type(optimizer).__name__, "param_groups": sd["param_groups"], "scalars": scalars}
    tensors["rng/torch"] = torch.get_rng_state()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng/cuda/{i}"] = s
    meta = {
        "format": FORMAT, "version": VERSION,
        "weights": weights.name,
        "design_name": getattr(design, "name", getattr(model, "design_name", None)),
        "design_hash": design.structure_hash() if design is not None else getattr(model, "design_hash", None),
        "design": design.to_dict() if design is not None else None,
        "step": int(step), "epoch": int(epoch),
        "metrics": metrics or {}, "settings": settings or {}, "task": task, "vocabs": vocabs or {},
        "optimizer": opt_meta,
        "saved": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "torch": torch.__version__,
        **(extra or {}),
    }
    record = json.dumps(meta, default=_json_default)  # the weights carry their own record: see load_checkpoint
    blob = save_tensors(tensors, metadata={"format": FORMAT, "step": str(int(step)), "record": record})
    meta["weights_sha256"] = hashlib.sha256(blob).hexdigest()
    _write_pair(weights, blob, sidecar, json.dumps(meta, indent=2, default=_json_default) + "\n")
    return weights


def _write_pair(weights: Path, blob: bytes, sidecar: Path, text: str) -> None:
    """Both files flushed to disk first, then renamed back to back (:func:`engine.files.atomic_write_many`)."""
    try:
        weights.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_many([(weights, blob), (sidecar, text)])
    except OSError as exc:
        where = Path(exc.filename) if isinstance(exc.filename, str) else weights
        raise CheckpointError(f"{weights}: {os_error_message(exc, where)}") from None


def save_run(path: str | os.PathLike[str], model: nn.Module, *, optimizer: torch.optim.Optimizer | None,
             task: Any, state: RunState, design: Any = None, settings: dict[str, Any] | None = None,
             metrics: dict[str, Any] | None = None) -> Path:
    """A training run's checkpoint: the model, its optimizer, the task (with its vocabularies) and
    the :class:`RunState` — what ``rnn-designer train`` and the window both write."""
    vocabs = {k: v.to_dict() for k, v in (("source", task.source_vocab), ("target", task.target_vocab))
              if v is not None}
    return save_checkpoint(path, model, design=design, optimizer=optimizer, step=state.step, epoch=state.epoch,
                           metrics=metrics, settings=settings, task=task.metadata(), vocabs=vocabs,
                           extra={"batch_in_epoch": state.batch_in_epoch, "best": state.best,
                                  "best_step": state.best_step, "main_metric": task.main_metric,
                                  "lr_scale": state.lr_scale})


def copy_checkpoint(source: str | os.PathLike[str], path: str | os.PathLike[str]) -> Path:
    """Copy the checkpoint at ``source`` (checked: a mismatched or damaged pair is refused) to
    ``path``, both files written atomically; returns the new weights' path."""
    src_weights, src_sidecar = paths_of(source)
    meta = read_sidecar(src_sidecar)
    try:
        blob = src_weights.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"{src_weights}: cannot be read ({exc.strerror or exc})") from None
    if meta.get("weights_sha256") not in (None, hashlib.sha256(blob).hexdigest()):
        raise CheckpointError(f"{src_weights}: these weights are not the ones its sidecar {src_sidecar.name} describes; "
                              "the two files come from different saves")
    weights, sidecar = paths_of(path)
    meta = dict(meta, weights=weights.name, weights_sha256=hashlib.sha256(blob).hexdigest())
    _write_pair(weights, blob, sidecar, json.dumps(meta, indent=2, default=_json_default) + "\n")
    return weights


def _json_default(value: Any) -> Any:
    if isinstance(value, (tuple, set)):
        return list(value)
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def design_mismatch(meta: dict[str, Any], design: Any) -> str | None:
    """Why ``design`` cannot take the checkpoint's weights, or None when its structure matches."""
    if meta.get("design_hash") is None:
        return (f'its sidecar records no design (field "design_hash" is empty), so it cannot be checked against '
                f'design "{design.name}"; use a checkpoint written by RNN Designer for this design')
    if meta["design_hash"] == design.structure_hash():
        return None
    theirs = meta.get("design") or {}
    nodes = {n["id"]: n for n in theirs.get("nodes", []) if isinstance(n, dict) and isinstance(n.get("id"), str)}
    diffs = []
    for node in design.nodes.values():
        other = nodes.get(node.id)
        if other is None:
            diffs.append(f'node "{node.id}" is not in it')
            continue
        if other.get("kind") != node.kind:
            diffs.append(f'node "{node.id}" is a {other.get("kind")} there, a {node.kind} here')
            continue
        params = other.get("params") if isinstance(other.get("params"), dict) else {}
        for k, v in node.params.items():
            if params.get(k) != v:
                diffs.append(f'node "{node.id}" parameter "{k}" is {params.get(k)!r} there, {v!r} here')
    diffs += [f'its node "{n}" is not in this design' for n in nodes if n not in design.nodes]
    if not diffs:
        diffs.append("the wiring differs")
    shown = "; ".join(diffs[:5]) + ("; ..." if len(diffs) > 5 else "")
    return (f'the checkpoint was trained for design "{meta.get("design_name")}", whose structure differs from '
            f'design "{design.name}": {shown}. Train this design anew, or load the design the checkpoint belongs to')


def _header_metadata(blob: bytes) -> dict[str, Any]:
    """The ``__metadata__`` of a safetensors file ({} when it has none or cannot be read)."""
    try:
        n = int.from_bytes(blob[:8], "little")
        found = json.loads(blob[8:8 + n]).get("__metadata__") or {}
        return found if isinstance(found, dict) else {}
    except (ValueError, AttributeError, RecursionError):
        return {}


def _weights_step(blob: bytes) -> str:
    """The step a safetensors file says it was saved at ("?" when it does not say)."""
    return str(_header_metadata(blob).get("step", "?"))


def _own_record(weights: Path, blob: bytes, digest: str) -> dict[str, Any] | None:
    """The record a weights file carries of itself (written with it, so always its own), checked
    like a sidecar; None when it has none (an older or foreign file) or it does not check."""
    try:
        record = json.loads(_header_metadata(blob).get("record", ""))
    except (ValueError, TypeError, RecursionError):
        return None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return None
    record = {**record, "weights": weights.name, "weights_sha256": digest}
    return record if check_sidecar(record) is None else None


def load_checkpoint(path: str | os.PathLike[str], design: Any = None, model: nn.Module | None = None,
                    device: torch.device | str = "cpu") -> Checkpoint:
    """Read a checkpoint; with ``design``, refuse one made for another structure; with ``model``,
    load the weights into it (and check the optimizer state fits its parameters)."""
    weights, sidecar = paths_of(path)
    meta = read_sidecar(weights)
    if design is not None:
        why = design_mismatch(meta, design)
        if why:
            raise CheckpointError(f"{weights}: {why}")
    try:
        blob = weights.read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"{weights}: no such file (its sidecar {sidecar.name} is there)") from None
    except OSError as exc:
        raise CheckpointError(f"{weights}: cannot be read ({exc.strerror or exc})") from None
    try:
        tensors = load_tensors(blob)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{weights}: not a readable safetensors file ({exc})") from None
    expected, digest = meta.get("weights_sha256"), hashlib.sha256(blob).hexdigest()
    if expected is not None and digest != expected:
        meta = _recover(weights, sidecar, blob, digest, meta, design)
    groups: dict[str, dict[str, torch.Tensor]] = {"model": {}, "optimizer": {}, "rng": {}}
    for key, value in tensors.items():
        group, _, rest = key.partition("/")
        if group in groups:
            groups[group][rest] = value.to(device) if group != "rng" else value
    _check_rng(weights, groups["rng"])
    ckpt = Checkpoint(weights, meta, groups["model"], _optimizer_state(weights, meta, groups["optimizer"]),
                      groups["rng"])
    if model is not None:
        load_weights(ckpt, model)
        check_optimizer_fits(ckpt, model)
    return ckpt


def _recover(weights: Path, sidecar: Path, blob: bytes, digest: str, stale: dict[str, Any], design: Any) -> dict[str, Any]:
    """Weights and sidecar of different saves (a run killed between the two renames): the weights'
    own record, which was written with them, replaces the stale sidecar (rewritten, best effort);
    weights without one are refused."""
    own = _own_record(weights, blob, digest)
    if own is None:
        raise CheckpointError(
            f"{weights}: these weights (step {_weights_step(blob)}) are not the ones its sidecar {sidecar.name} "
            f"describes (step {stale.get('step')}): the two files come from different saves — the run was "
            "probably stopped while saving. Use another checkpoint (e.g. best), or train anew")
    if design is not None:
        why = design_mismatch(own, design)
        if why:
            raise CheckpointError(f"{weights}: {why}")
    try:
        atomic_write_many([(sidecar, json.dumps(own, indent=2, default=_json_default) + "\n")])
    except OSError:
        pass  # a read-only folder: the record in the weights serves this load all the same
    own["recovered"] = (f"{sidecar.name} was of step {stale.get('step')}, the weights of step {own['step']} (the run "
                        "was stopped while saving); the weights' own record was used")
    return own


def _check_rng(weights: Path, rng: dict[str, torch.Tensor]) -> None:
    size = torch.get_rng_state().numel()
    for key, value in rng.items():
        ok = value.dtype == torch.uint8 and value.dim() == 1
        if ok and key == "torch" and value.numel() != size:
            ok = False
        if not ok:
            raise CheckpointError(f'{weights}: tensor "rng/{key}" is not a random generator state '
                                  f"({value.numel()} {str(value.dtype).removeprefix('torch.')} values; expected "
                                  f"{size} bytes); use another checkpoint or train anew")


def _optimizer_state(weights: Path, meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> dict[str, Any] | None:
    opt = meta.get("optimizer")
    if not opt:
        return None
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        pid, _, name = key.partition("/")
        if not pid.isdigit() or not name:
            raise CheckpointError(f'{weights}: tensor "optimizer/{key}" is not named "optimizer/<parameter>/<state>"')
        state.setdefault(int(pid), {})[name] = value
    for pid, values in opt.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(values)
    return {"state": state, "param_groups": opt["param_groups"]}


def check_optimizer_fits(ckpt: Checkpoint, model: nn.Module) -> None:
    """Refuse optimizer state that would crash the first resumed step: parameters it names that
    the model lacks, or moment tensors of another shape."""
    if ckpt.optimizer is None:
        return
    params = list(getattr(model, "module", model).parameters())
    listed = [p for g in ckpt.optimizer["param_groups"] for p in g["params"]]
    if sorted(listed) != list(range(len(params))):
        raise CheckpointError(f'{ckpt.path}: field "optimizer.param_groups" lists {len(listed)} parameters, but the '
                              f"model has {len(params)}; resume with the same design and optimizer, or train anew")
    for pid, state in ckpt.optimizer["state"].items():
        if not 0 <= pid < len(params):
            raise CheckpointError(f'{ckpt.path}: optimizer state for parameter {pid}, but the model has {len(params)}')
        for name, value in state.items():
            if name in _SHAPED_STATE and isinstance(value, torch.Tensor) and value.shape != params[pid].shape:
                raise CheckpointError(f'{ckpt.path}: tensor "optimizer/{pid}/{name}" has shape {tuple(value.shape)}, '
                                      f"but its parameter has {tuple(params[pid].shape)}; use another checkpoint")
            if name == "step" and isinstance(value, torch.Tensor) and value.numel() != 1:
                raise CheckpointError(f'{ckpt.path}: tensor "optimizer/{pid}/step" should hold one number, '
                                      f"holds {value.numel()}")


def load_weights(ckpt: Checkpoint, model: nn.Module) -> None:
    model = getattr(model, "module", model)
    try:
        model.load_state_dict(ckpt.model, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise CheckpointError(f"{ckpt.path}: its weights do not fit this model ({first[0] if first else exc})") from None
