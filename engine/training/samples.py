"""How a run's examples read as text: a few validation examples with what the trained model makes
of them (the results table at a run's end), and the labels of the probe sequences' time steps
(the heatmaps' axes). Both run in the run's own process and travel as plain data.

Encoder-decoder and one-to-many models are decoded greedily (``model.generate``, as the
``exact_match`` metric does); classifiers show the arg-max class (per step for many-to-many);
regressors show their numbers. Real-valued probe inputs are labelled with step numbers (their
values travel too, for the hover read-out); a 0/1 marker feature flags its steps (``▲``).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from engine.training.sample_record import SamplePrediction
from engine.vocab import EOS, PAD

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


def probe_labels(task: Any, batch: Any) -> dict[str, list[Any]]:
    """The labels of ``batch`` (the task's probe batch) for every sequence in it, as plain lists:
    ``titles``, ``source_labels``, ``source_values`` ((T, F) lists or None), ``target_in``,
    ``target_out``, ``marked`` (flagged steps)."""
    out: dict[str, list[Any]] = {k: [] for k in ("titles", "source_labels", "source_values", "target_in",
                                                 "target_out", "marked")}
    x = batch.x.cpu()
    n = x.shape[0]
    lengths = batch.lengths.cpu().tolist() if batch.lengths is not None else None
    src_vocab, tgt_vocab = task.source_vocab, task.target_vocab or task.source_vocab
    for i in range(n):
        if x.dim() >= 2 and x.dtype.is_floating_point:  # (T, F) real-valued steps
            steps = x[i] if x.dim() == 3 else x[i][:, None]
            length = lengths[i] if lengths is not None else steps.shape[0]
            values = steps[:length].numpy()
            marked = _marked_steps(values)
            out["source_labels"].append([f"▲{t}" if t in marked else str(t) for t in range(length)])
            out["source_values"].append(values.tolist())
            out["marked"].append(sorted(marked))
        elif x.dim() == 2:  # token ids
            length = lengths[i] if lengths is not None else x.shape[1]
            ids = x[i, :length].tolist()
            out["source_labels"].append([src_vocab.token(k) if src_vocab else str(k) for k in ids])
            out["source_values"].append(None)
            out["marked"].append([])
        else:  # a class or a vector: no time axis of its own
            out["source_labels"].append([])
            out["source_values"].append(None)
            out["marked"].append([])
        if batch.y_in is not None:
            mask = batch.y_mask[i].tolist() if batch.y_mask is not None else [True] * batch.y_in.shape[1]
            t_in = [k for k, m in zip(batch.y_in[i].tolist(), mask) if m]
            t_out = [k for k, m in zip(batch.y[i].tolist(), mask) if m]
            out["target_in"].append([tgt_vocab.token(k) if tgt_vocab else str(k) for k in t_in])
            out["target_out"].append([tgt_vocab.token(k) if tgt_vocab else str(k) for k in t_out])
        else:
            out["target_in"].append([])
            out["target_out"].append([])
        out["titles"].append(_title(task, batch, i))
    return out


def _marked_steps(values: np.ndarray, most: int = 8) -> set[int]:
    """Steps flagged by a last feature that is 0 or 1 and rarely 1 (a marker), else none."""
    if values.ndim != 2 or values.shape[1] < 2 or not len(values):
        return set()
    flag = values[:, -1]
    if not np.isin(flag, (0.0, 1.0)).all():
        return set()
    steps = set(np.flatnonzero(flag == 1.0).tolist())
    return steps if 0 < len(steps) <= most else set()


def _title(task: Any, batch: Any, i: int) -> str:
    try:
        return f"#{i + 1}  {_cut(_input_text(task, batch, i))}"
    except Exception:  # noqa: BLE001 - a title is decoration; a task that cannot show one still trains
        return f"#{i + 1}"
