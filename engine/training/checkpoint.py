"""Checkpoints: weights as safetensors beside a JSON sidecar that says what they belong to.

``NAME.safetensors`` holds tensors only — the model's ``model/…``, the optimizer's ``optimizer/…``
and the random generators' ``rng/…`` — so loading one never runs code (no pickle; this module
never calls ``torch.load``). ``NAME.json`` holds the design's ``structure_hash()`` and its
structure, the step, epoch, metrics, training settings, task and vocabularies, and the
optimizer's non-tensor state. A checkpoint is refused, with the differences named, by a design
whose structure differs. Both files are written to a temporary name and renamed into place, so
a crash never leaves half a checkpoint.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from engine.errors import CheckpointError

FORMAT = "rnn-designer-checkpoint"
VERSION = 1


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


def paths_of(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """(weights, sidecar) for ``best``, ``best.safetensors``, ``best.json`` or a run folder (its ``latest``)."""
    p = Path(path)
    if p.is_dir():
        p = p / "latest"
    if p.suffix in (".safetensors", ".json"):
        p = p.with_suffix("")
    return p.with_name(p.name + ".safetensors"), p.with_name(p.name + ".json")


def _atomic_write(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_checkpoint(path: str | os.PathLike[str], model: nn.Module, *, design: Any = None,
                    optimizer: torch.optim.Optimizer | None = None, step: int = 0, epoch: int = 0,
                    metrics: dict[str, Any] | None = None, settings: dict[str, Any] | None = None,
                    task: dict[str, Any] | None = None, vocabs: dict[str, Any] | None = None,
                    extra: dict[str, Any] | None = None) -> Path:
    """Write ``path``.safetensors and ``path``.json; returns the weights' path."""
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
    text = json.dumps(meta, indent=2, default=_json_default) + "\n"
    _atomic_write(weights, lambda tmp: save_file(tensors, tmp, metadata={"format": FORMAT}))
    _atomic_write(sidecar, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return weights


def _json_default(value: Any) -> Any:
    if isinstance(value, (tuple, set)):
        return list(value)
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def read_sidecar(path: str | os.PathLike[str]) -> dict[str, Any]:
    _, sidecar = paths_of(path)
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{sidecar}: no such file; a checkpoint is a .safetensors file with a .json "
                              "beside it (both written by rnn-designer train)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{sidecar}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{sidecar}, line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{sidecar}: not an RNN Designer checkpoint sidecar")
    if int(meta.get("version", 0)) > VERSION:
        raise CheckpointError(f"{sidecar}: written by a newer RNN Designer (checkpoint format {meta['version']}); "
                              "update RNN Designer to read it")
    return meta


def design_mismatch(meta: dict[str, Any], design: Any) -> str | None:
    """Why ``design`` cannot take the checkpoint's weights, or None when its structure matches."""
    if meta.get("design_hash") in (None, design.structure_hash()):
        return None
    theirs = meta.get("design") or {}
    nodes = {n["id"]: n for n in theirs.get("nodes", [])}
    diffs = []
    for node in design.nodes.values():
        other = nodes.get(node.id)
        if other is None:
            diffs.append(f'node "{node.id}" is not in it')
            continue
        if other.get("kind") != node.kind:
            diffs.append(f'node "{node.id}" is a {other.get("kind")} there, a {node.kind} here')
            continue
        for k, v in node.params.items():
            if other.get("params", {}).get(k) != v:
                diffs.append(f'node "{node.id}" parameter "{k}" is {other.get("params", {}).get(k)!r} there, {v!r} here')
    diffs += [f'its node "{n}" is not in this design' for n in nodes if n not in design.nodes]
    if not diffs:
        diffs.append("the wiring differs")
    shown = "; ".join(diffs[:5]) + ("; ..." if len(diffs) > 5 else "")
    return (f'the checkpoint was trained for design "{meta.get("design_name")}", whose structure differs from '
            f'design "{design.name}": {shown}. Train this design anew, or load the design the checkpoint belongs to')


def load_checkpoint(path: str | os.PathLike[str], design: Any = None, model: nn.Module | None = None,
                    device: torch.device | str = "cpu") -> Checkpoint:
    """Read a checkpoint; with ``design``, refuse one made for another structure; with ``model``,
    load the weights into it."""
    weights, sidecar = paths_of(path)
    meta = read_sidecar(weights)
    if design is not None:
        why = design_mismatch(meta, design)
        if why:
            raise CheckpointError(f"{weights}: {why}")
    try:
        tensors = load_file(str(weights), device=str(device))
    except FileNotFoundError:
        raise CheckpointError(f"{weights}: no such file (its sidecar {sidecar.name} is there)") from None
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{weights}: not a readable safetensors file ({exc})") from None
    groups: dict[str, dict[str, torch.Tensor]] = {"model": {}, "optimizer": {}, "rng": {}}
    for key, value in tensors.items():
        group, _, rest = key.partition("/")
        if group in groups:
            groups[group][rest] = value
    ckpt = Checkpoint(weights, meta, groups["model"], _optimizer_state(meta, groups["optimizer"]), groups["rng"])
    if model is not None:
        load_weights(ckpt, model)
    return ckpt


def _optimizer_state(meta: dict[str, Any], tensors: dict[str, torch.Tensor]) -> dict[str, Any] | None:
    opt = meta.get("optimizer")
    if not opt:
        return None
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        pid, _, name = key.partition("/")
        state.setdefault(int(pid), {})[name] = value
    for pid, values in opt.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(values)
    return {"state": state, "param_groups": opt["param_groups"]}


def load_weights(ckpt: Checkpoint, model: nn.Module) -> None:
    model = getattr(model, "module", model)
    try:
        model.load_state_dict(ckpt.model, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise CheckpointError(f"{ckpt.path}: its weights do not fit this model ({first[0] if first else exc})") from None
