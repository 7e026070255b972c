"""A checkpoint's sidecar (``NAME.json`` beside ``NAME.safetensors``), read and checked without
torch, so the window can list and compare checkpoints before the training code loads.

:func:`read_sidecar` is the one reader; :func:`check_sidecar` returns a sidecar's first problem as
``'"FIELD": what is wrong'`` — a sidecar edited by hand or damaged on disk is refused naming the
field, instead of crashing later (``int("abc")``), skipping a check (``design_hash: null``) or
failing at the first resumed step (a bad optimizer group). :mod:`engine.training.checkpoint`
writes sidecars and checks the tensors.
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.errors import CheckpointError

FORMAT = "rnn-designer-checkpoint"
VERSION = 2  # 2: the sidecar records the weights file's SHA-256 and step (1 did not: read, unchecked)


def paths_of(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """(weights, sidecar) for ``best``, ``best.safetensors``, ``best.json`` or a run folder (its ``latest``)."""
    p = Path(path)
    if p.is_dir():
        p = p / "latest"
    if p.suffix in (".safetensors", ".json"):
        p = p.with_suffix("")
    return p.with_name(p.name + ".safetensors"), p.with_name(p.name + ".json")


def read_sidecar(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The sidecar of the checkpoint at ``path``, every field type-checked (:class:`CheckpointError`
    naming the field otherwise)."""
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
    except RecursionError:
        raise CheckpointError(f"{sidecar}: nested too deeply to be a checkpoint sidecar") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{sidecar}: not an RNN Designer checkpoint sidecar")
    version = meta.get("version", 0)
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        raise CheckpointError(f"{sidecar}: written by a newer RNN Designer (checkpoint format {version}); "
                              "update RNN Designer to read it")
    problem = check_sidecar(meta)
    if problem:
        raise CheckpointError(f"{sidecar}: field {problem}; this sidecar was damaged or edited by hand — "
                              "use another checkpoint or train anew")
    return meta


Check = Callable[[Any], str | None]  # None when the value is fine, else what is wrong


def _int(lo: int = 0) -> Check:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, int):
            return f"expected a whole number, got {_show(v)}"
        return None if v >= lo else f"must be at least {lo}, got {v}"
    return check


def _number(v: Any) -> str | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return f"expected a number, got {_show(v)}"
    return None


def _text(v: Any) -> str | None:
    return None if isinstance(v, str) else f"expected text, got {_show(v)}"


def _object(v: Any) -> str | None:
    return None if isinstance(v, dict) else f"expected an object, got {_show(v)}"


def _optional(check: Check) -> Check:
    return lambda v: None if v is None else check(v)


def _show(v: Any) -> str:
    text = repr(v)
    return f"{type(v).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def _metrics(v: Any) -> str | None:
    if not isinstance(v, dict):
        return _object(v)
    for k, x in v.items():
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            return f'entry "{k}": expected a number, got {_show(x)}'
    return None


def _task(v: Any) -> str | None:
    if not isinstance(v, dict):
        return _object(v)
    return None if isinstance(v.get("name"), str) else 'expected {"name": TASK, ...}, with the task\'s name as text'


def _vocabs(v: Any) -> str | None:
    if not isinstance(v, dict):
        return _object(v)
    for side, entry in v.items():
        if not isinstance(entry, dict):
            return f'entry "{side}": {_object(entry)}'
        tokens = entry.get("tokens")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            return f'entry "{side}.tokens": expected a list of texts'
        if not isinstance(entry.get("join", ""), str):
            return f'entry "{side}.join": expected text'
    return None


def _design(v: Any) -> str | None:
    if not isinstance(v, dict):
        return _object(v)
    nodes = v.get("nodes", [])
    if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
        return "its nodes are not a list of objects"
    return None


_GROUP_NUMBERS = ("lr", "weight_decay", "momentum", "eps", "dampening", "initial_lr")


def optimizer_problem(v: Any) -> str | None:
    """What is wrong with the sidecar's ``optimizer`` entry (class, param groups, scalar state)."""
    if not isinstance(v, dict):
        return _object(v)
    if not isinstance(v.get("class"), str):
        return f'"class": expected the optimizer\'s class name, got {_show(v.get("class"))}'
    groups = v.get("param_groups")
    if not isinstance(groups, list) or not groups:
        return f'"param_groups": expected a list of groups, got {_show(groups)}'
    seen: set[int] = set()
    for i, group in enumerate(groups):
        where = f'"param_groups[{i}]'
        if not isinstance(group, dict):
            return f"{where}\": {_object(group)}"
        params = group.get("params")
        if not isinstance(params, list) or not all(isinstance(p, int) and not isinstance(p, bool) and p >= 0
                                                   for p in params):
            return f"{where}.params\": expected a list of parameter numbers, got {_show(params)}"
        if seen & set(params):
            return f"{where}.params\": parameter {min(seen & set(params))} is in two groups"
        seen |= set(params)
        for key in _GROUP_NUMBERS:
            if key in group:
                x = group[key]
                if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or x < 0:
                    return f"{where}.{key}\": expected a finite number of at least 0, got {_show(x)}"
        betas = group.get("betas")
        if betas is not None and (not isinstance(betas, list) or len(betas) != 2
                                  or not all(isinstance(b, (int, float)) and 0 <= b < 1 for b in betas)):
            return f"{where}.betas\": expected two numbers in [0, 1), got {_show(betas)}"
    scalars = v.get("scalars", {})
    if not isinstance(scalars, dict):
        return f'"scalars": {_object(scalars)}'
    for pid, values in scalars.items():
        if not pid.isdigit() or int(pid) not in seen or not isinstance(values, dict):
            return f'"scalars.{pid}": not the state of a parameter in param_groups'
    return None


FIELDS: dict[str, tuple[bool, Check]] = {  # name: (required, check)
    "version": (True, _int(1)),
    "weights": (False, _text),
    "weights_sha256": (False, _text),
    "design_name": (False, _optional(_text)),
    "design_hash": (False, _optional(_text)),
    "design": (False, _optional(_design)),
    "step": (True, _int(0)),
    "epoch": (False, _int(0)),
    "batch_in_epoch": (False, _int(0)),
    "metrics": (False, _metrics),
    "settings": (False, _object),
    "task": (False, _optional(_task)),
    "vocabs": (False, _vocabs),
    "optimizer": (False, _optional(optimizer_problem)),
    "best": (False, _optional(_number)),
    "best_step": (False, _optional(_int(0))),
    "main_metric": (False, _optional(_text)),
    "lr_scale": (False, _number),
}


def check_sidecar(meta: dict[str, Any]) -> str | None:
    """The first problem of a sidecar as ``'"FIELD": what is wrong'``, or None when all is well."""
    for name, (required, check) in FIELDS.items():
        if name not in meta:
            if required:
                return f'"{name}": missing'
            continue
        why = check(meta[name])
        if why:
            return f'"{name}": {why}' if not why.startswith('"') else f'"{name}.{why[1:]}'
    if meta.get("version", 1) >= 2 and not isinstance(meta.get("weights_sha256"), str):
        return '"weights_sha256": missing; a format-2 sidecar records the hash of its weights'
    return None
