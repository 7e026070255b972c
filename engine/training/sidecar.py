"""What a checkpoint sidecar may hold: every field's type, checked before anything trusts it.

:func:`check_sidecar` is called by :func:`engine.training.checkpoint.read_sidecar` (the one reader)
and returns the first problem as ``'"FIELD": what is wrong'`` — a sidecar edited by hand or
damaged on disk is refused naming the field, instead of crashing later (``int("abc")``), skipping
a check (``design_hash: null``) or failing at the first resumed step (a bad optimizer group).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

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
