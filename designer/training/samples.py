"""A few validation examples with what the trained model makes of them, as text for a table.

Encoder-decoder and one-to-many models are decoded greedily (``model.generate``, as the
``exact_match`` metric does); classifiers show the arg-max class (per step for many-to-many);
regressors show their numbers. Runs on the worker thread, under ``torch.no_grad``.
"""
from __future__ import annotations

from typing import Any

import torch

from engine.vocab import EOS, PAD

from .session import SamplePrediction

MAX_TEXT = 60  # characters of one cell before it is cut with "…"


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def _numbers(a: torch.Tensor) -> str:
    values = a.detach().float().cpu().numpy().ravel()
    shown = ", ".join(f"{v:.3f}" for v in values[:6]) + (", …" if values.size > 6 else "")
    return shown if values.size == 1 else f"[{shown}]"


def _ids(row: torch.Tensor, mask: torch.Tensor | None) -> list[int]:
    ids = row.tolist()
    if mask is not None:
        ids = [i for i, m in zip(ids, mask.tolist()) if m]
    return [i for i in ids if i != PAD]


@torch.no_grad()
def sample_predictions(model: Any, task: Any, n: int = 5) -> list[SamplePrediction]:
    """The first ``n`` validation examples, each with its target and the model's prediction."""
    if n <= 0:
        return []
    device = next(model.parameters()).device
    batch = task.probe_batch(n).to(device)
    was_training = model.training
    model.eval()
    try:
        rows: list[SamplePrediction] = []
        inputs = [_cut(_input_text(task, batch, i)) for i in range(len(batch))]
        if batch.y_in is not None and getattr(model, "can_decode", False):
            generated = model.generate(batch.x, batch.lengths, max_len=batch.y.shape[1] + 1)  # (B, T')
            for i in range(len(batch)):
                target = _ids(batch.y[i], None)
                guess = generated[i].tolist()
                guess = guess[:guess.index(EOS) + 1] if EOS in guess else guess
                guess = [g for g in guess if g != PAD]
                rows.append(SamplePrediction(inputs[i], _cut(task.show_target(target)), _cut(task.show_target(guess)),
                                             guess == target))
            return rows
        output = model(batch.x, batch.lengths, batch.y_in)
        classes = getattr(task, "classes", None)
        for i in range(len(batch)):
            if getattr(model, "head_kind", "classifier") == "regressor":
                pred, tgt = output[i], batch.y[i]
                if output.dim() == 3 and batch.y_mask is not None:
                    keep = batch.y_mask[i, :output.shape[1]]
                    pred, tgt = pred[keep], tgt[keep]
                rows.append(SamplePrediction(inputs[i], _numbers(tgt), _numbers(pred), None))
            elif output.dim() == 2:  # one class per example
                p, t = int(output[i].argmax()), int(batch.y[i])
                name = (lambda k: classes[k] if classes and 0 <= k < len(classes) else str(k))
                rows.append(SamplePrediction(inputs[i], name(t), name(p), p == t))
            else:  # one class per step
                mask = batch.y_mask[i, :output.shape[1]] if batch.y_mask is not None else None
                if mask is None and batch.lengths is not None:
                    mask = torch.arange(output.shape[1], device=device) < batch.lengths[i]
                p = _ids(output[i].argmax(-1), mask)
                t = _ids(batch.y[i, :output.shape[1]], mask)
                rows.append(SamplePrediction(inputs[i], _cut(_token_text(task, t)), _cut(_token_text(task, p)), p == t))
        return rows
    finally:
        model.train(was_training)


def _input_text(task: Any, batch: Any, i: int) -> str:
    x = batch.x[i].cpu()
    if x.dtype != torch.long and x.dim() == 2:  # a real-valued sequence: (T, F)
        n = int(batch.lengths[i]) if batch.lengths is not None else x.shape[0]
        x = x[:n]
        marks = x[:, -1]
        if x.shape[1] == 2 and bool(((marks == 0) | (marks == 1)).all()) and 0 < int(marks.sum()) <= 4:
            # a value column and a 0/1 marker column (the adding problem): show the marked values
            marked = " + ".join(f"{float(v):.3f}" for v in x[marks == 1, 0])
            return f"{marked}  (marked in {n} steps)"
        return f"{n} steps × {x.shape[1]} features"
    from engine.data.batch import Batch

    one = Batch(batch.x[i:i + 1].cpu(), batch.y[i:i + 1].cpu(),
                None if batch.lengths is None else batch.lengths[i:i + 1].cpu())
    return task.show_input(one, 0)


def _token_text(task: Any, ids: list[int]) -> str:
    vocab = task.target_vocab or task.source_vocab
    if vocab is None:
        return " ".join(str(i) for i in ids)
    return vocab.join.join(vocab.token(i) for i in ids)
