"""What beam search is given, checked before the model sees it: every mistake a ``ValueError``
naming the argument (``x``, ``source``, ``lengths``, ``banned``), never a bare ``IndexError`` from
an embedding or a cryptic ``permute`` error from a cell.

The shapes a model takes follow its input block: token ids ``(B, T)``, a class id ``(B,)``, a
vector ``(B, F)`` or a real sequence ``(B, T, F)``; lists and numpy arrays are turned into tensors.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

_FORMS = {"token_input": ("token ids", 2), "class_input": ("class ids", 1), "vector_input": ("vectors", 2),
          "sequence_input": ("real sequences", 3)}


def input_size(model: Any) -> int | None:
    """The vocabulary, class count or feature count of the model's input block, when it says."""
    report = getattr(model, "report", None)
    node = getattr(model, "input_node", None)
    try:
        return int(report.shapes[node]["out"].features)
    except (AttributeError, KeyError, TypeError):
        return None


def _shape_text(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def check_batch(model: Any, x: Any, lengths: Any = None, *, name: str = "x", single: bool = False) -> tuple[Tensor, Tensor | None]:
    """``x`` (and ``lengths``) as tensors of the shape and range ``model`` takes. ``single``: the
    caller passed one example and added the batch dimension itself (the messages say so)."""
    kind = getattr(model, "input_kind", "token_input")
    what, dims = _FORMS.get(kind, ("inputs", None))
    integer = kind in ("token_input", "class_input")
    if not isinstance(x, Tensor):
        try:
            x = torch.as_tensor(x, dtype=torch.long if integer else torch.float32)
        except (TypeError, ValueError, RuntimeError, OverflowError) as exc:
            raise ValueError(f"{name}: expected {what} as a tensor or a list of numbers ({exc})") from None
    if integer and x.is_floating_point():
        if not bool((x == x.round()).all()):
            raise ValueError(f"{name}: expected whole-number {what}, got fractions")
        x = x.long()
    if dims is not None and x.dim() != dims:
        shape = _shape_text(tuple(x.shape)[1:] if single else tuple(x.shape))
        want = {2: "(B, T)" if kind == "token_input" else "(B, F)", 1: "(B,)", 3: "(B, T, F)"}[dims]
        if single:
            want = want.replace("B, ", "").replace("(B,)", "a single number")
        hint = ("; for one example use x.unsqueeze(0), or BeamSearch(model, example)"
                if not single and x.dim() == dims - 1 else "")
        raise ValueError(f"{name}: the model's input \"{getattr(model, 'input_node', '?')}\" takes {what} shaped "
                         f"{want}, got shape {shape}{hint}")
    size = input_size(model)
    if x.numel() and integer and size:
        bad = ((x < 0) | (x >= size)).nonzero()
        if len(bad):
            where = tuple(int(i) for i in bad[0])
            value = int(x[where])
            where_text = "" if single and x.dim() == 1 else f" at {list(where[1:] if single else where)}"
            raise ValueError(f"{name}: id {value}{where_text} is outside the model's "
                             f"{'vocabulary' if kind == 'token_input' else 'classes'} (0 to {size - 1})")
    if x.numel() and x.is_floating_point() and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name}: holds NaN or infinite values")
    if kind in ("vector_input", "sequence_input") and size and x.shape[-1] != size:
        raise ValueError(f"{name}: the model takes {size} features, got {int(x.shape[-1])}")
    if x.dim() >= 1 and x.shape[0] == 0:
        raise ValueError(f"{name}: the batch is empty")
    return x, _check_lengths(lengths, x, kind)


def _check_lengths(lengths: Any, x: Tensor, kind: str) -> Tensor | None:
    if lengths is None:
        return None
    try:
        lens = torch.as_tensor(lengths).view(-1)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(f"lengths: expected one whole number per input ({exc})") from None
    if lens.is_floating_point() and not bool((lens == lens.round()).all()):
        raise ValueError("lengths: expected whole numbers")
    lens = lens.long()
    if kind not in ("token_input", "sequence_input"):
        raise ValueError(f"lengths: the model's input is not a sequence ({kind}); pass lengths=None")
    B, T = int(x.shape[0]), int(x.shape[1])
    if lens.numel() != B:
        raise ValueError(f"lengths: {lens.numel()} lengths for {B} inputs; give one per input")
    if bool((lens < 1).any()) or bool((lens > T).any()):
        i = int(((lens < 1) | (lens > T)).nonzero()[0])
        raise ValueError(f"lengths: input {i} has length {int(lens[i])}, but must be between 1 and {T} "
                         "(the padded length of the batch)")
    return lens


def check_banned(model: Any, banned: Sequence[int]) -> None:
    """Every banned id a token of the model's output vocabulary."""
    vocab = int(getattr(model, "vocab_size", 0) or 0)
    for b in banned:
        if isinstance(b, bool) or not isinstance(b, (int, Tensor)) and not hasattr(b, "__index__"):
            raise ValueError(f"banned: {b!r} is not a token id")
        if vocab and not 0 <= int(b) < vocab:
            raise ValueError(f"banned: id {int(b)} is outside the output vocabulary (0 to {vocab - 1})")
