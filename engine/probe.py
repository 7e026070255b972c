"""Probes: the inside of every recurrent cell — gates, cell state, hidden state and gradient flow.

``probe(model, batch)`` runs the model once on a small batch with every recurrent block (cells
and the decoder) swapped for a step-by-step recomputation from the block's own fused weights:
the input projections of all steps are one matrix product, only the state recursion loops. The
recomputed h_t equals the fused module's output (fp32, atol 1e-5; tested), so what the plots show
is what the fused kernel computed. Training never goes through this path.

The result is a plain nested dict of numpy arrays::

    trace[block_id][layer][direction][name]   # layer 0, 1, ...; direction "forward" | "backward"

with ``name`` one of

- LSTM: ``"input"``, ``"forget"``, ``"cell"`` (candidate g_t), ``"output"``, ``"c"``, ``"h"``
- GRU: ``"reset"``, ``"update"``, ``"candidate"``, ``"h"``
- minimal GRU: ``"update"``, ``"candidate"``, ``"h"``
- Elman: ``"h"``
- Jordan: ``"h"`` (the hidden layer), ``"y"`` (the output fed back)
- every cell: ``"grad_h"`` ∂L/∂h_t and ``"grad_norm"`` ‖∂L/∂h_t‖, the total derivative of the
  probe batch's loss with respect to each step's hidden state (through every later step too):
  it shrinks towards early steps when gradients vanish and grows when they explode.

Each array is shaped (N, T, units) — ``grad_norm`` (N, T) — for the N probe sequences, so
``trace[b][0]["forward"]["forget"][i]`` is sequence i's (time, units) forget gate. Steps past a
sequence's end are NaN. A decoder's time axis is the target's.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .batch import Batch
from .cells import JordanRNN, MinimalGRU, reverse_padded, step_mask

GATES: dict[str, tuple[str, ...]] = {
    "lstm": ("input", "forget", "cell", "output", "c", "h"),
    "gru": ("reset", "update", "candidate", "h"),
    "min_gru": ("update", "candidate", "h"),
    "elman": ("h",),
    "jordan": ("h", "y"),
}
Trace = dict[str, dict[int, dict[str, dict[str, np.ndarray]]]]


def cell_kind(rnn: nn.Module) -> str:
    if isinstance(rnn, nn.LSTM):
        return "lstm"
    if isinstance(rnn, nn.GRU):
        return "gru"
    if isinstance(rnn, nn.RNN):
        return "elman"
    if isinstance(rnn, MinimalGRU):
        return "min_gru"
    if isinstance(rnn, JordanRNN):
        return "jordan"
    raise TypeError(f"no probe for {type(rnn).__name__}")


def _param(rnn: nn.Module, name: str, layer: int, sfx: str) -> Tensor | None:
    return getattr(rnn, f"{name}_l{layer}{sfx}", None)


def _direction(kind: str, rnn: nn.Module, x: Tensor, state: tuple[Tensor, ...], layer: int, sfx: str,
               mask: Tensor | None) -> tuple[Tensor, tuple[Tensor, ...], dict[str, list[Tensor]], list[Tensor]]:
    """One layer and direction of one cell, step by step from its weights.

    x (B, T, I) → output (B, T, S), final state, per-step records (name → T × (B, units)), and
    the per-step tensors whose gradients are ``grad_h``."""
    w_ih, w_hh = _param(rnn, "weight_ih", layer, sfx), _param(rnn, "weight_hh", layer, sfx)
    b_ih, b_hh = _param(rnn, "bias_ih", layer, sfx), _param(rnn, "bias_hh", layer, sfx)
    xp = F.linear(x, w_ih, b_ih)  # (B, T, G·H): every step's input projection at once
    rec: dict[str, list[Tensor]] = {n: [] for n in GATES[kind]}
    grads_of: list[Tensor] = []
    outs: list[Tensor] = []
    h = state[0]
    c = state[1] if kind == "lstm" else None
    if kind == "jordan":
        w_ho, b_ho = _param(rnn, "weight_ho", layer, sfx), _param(rnn, "bias_ho", layer, sfx)
    act = torch.relu if kind == "elman" and getattr(rnn, "nonlinearity", "tanh") == "relu" else torch.tanh
    for t in range(x.shape[1]):
        m = None if mask is None else mask[:, t, None]  # (B, 1)
        if kind == "lstm":
            i, f, g, o = (xp[:, t] + F.linear(h, w_hh, b_hh)).chunk(4, 1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c_new = f * c + i * g
            new = o * torch.tanh(c_new)
            vals = {"input": i, "forget": f, "cell": g, "output": o, "c": c_new}
            c = c_new if m is None else torch.where(m, c_new, c)
        elif kind == "gru":
            gi_r, gi_z, gi_n = xp[:, t].chunk(3, 1)
            gh_r, gh_z, gh_n = F.linear(h, w_hh, b_hh).chunk(3, 1)
            r, z = torch.sigmoid(gi_r + gh_r), torch.sigmoid(gi_z + gh_z)
            n = torch.tanh(gi_n + r * gh_n)
            new = (1 - z) * n + z * h
            vals = {"reset": r, "update": z, "candidate": n}
        elif kind == "min_gru":
            u, n = (xp[:, t] + F.linear(h, w_hh, b_hh)).chunk(2, 1)
            u, n = torch.sigmoid(u), torch.tanh(n)
            new = torch.lerp(h, n, u)  # (1 − u) h + u ñ
            vals = {"update": u, "candidate": n}
        elif kind == "elman":
            new = act(xp[:, t] + F.linear(h, w_hh, b_hh))
            vals = {}
        else:  # jordan: the carried state is the previous output y
            hidden = torch.tanh(xp[:, t] + F.linear(h, w_hh))
            new = F.linear(hidden, w_ho, b_ho)
            vals = {"h": hidden, "y": new}
        if kind != "jordan":
            vals["h"] = new
        if new.requires_grad:
            grad_target = vals["h"]
            grads_of.append(grad_target)
        for name, v in vals.items():
            rec[name].append(v)
        h = new if m is None else torch.where(m, new, h)
        outs.append(new if m is None else new * m)
    final = (h, c) if kind == "lstm" else (h,)
    return torch.stack(outs, 1), final, rec, grads_of


class _Recorder:
    """Replaces one recurrent block's forward pass with the recomputation and keeps its records."""

    def __init__(self, node_id: str, block: nn.Module, batch: Batch) -> None:
        self.node_id, self.block = node_id, block
        self.rnn = block.rnn
        self.kind = cell_kind(self.rnn)
        self.decoder = hasattr(block, "initial_state")
        self.batch = batch
        self.layers: dict[int, dict[str, tuple[dict[str, list[Tensor]], list[Tensor], Tensor | None, bool]]] = {}

    def hook(self, module: nn.Module, args: tuple[Any, ...], output: dict[str, Tensor]) -> dict[str, Tensor]:
        inputs, ctx = args
        rnn, kind = self.rnn, self.kind
        if self.decoder:
            x = module.embed(ctx.target_in)  # (B, T', E)
            lengths = None
            state = ctx.states_in.get(self.node_id) or module.initial_state(inputs["init"])
        else:
            x = inputs["in"]  # (B, T, F)
            lengths = ctx.lengths if ctx.lengths is not None and ctx.lengths.shape[0] == x.shape[0] else None
            state = ctx.states_in.get(self.node_id)
        B, T = x.shape[:2]
        dirs = 2 if getattr(rnn, "bidirectional", False) else 1
        size = getattr(rnn, "state_size", None) or rnn.hidden_size
        if state is None:
            zeros = x.new_zeros(rnn.num_layers * dirs, B, size)
            state = (zeros, torch.zeros_like(zeros)) if kind == "lstm" else (zeros,)
        mask = step_mask(lengths, T, x.device)
        layer_in = x
        finals: list[tuple[Tensor, ...]] = []
        for layer in range(rnn.num_layers):
            outs = []
            self.layers[layer] = {}
            for d, sfx in enumerate([""] + (["_reverse"] if dirs == 2 else [])):
                k = layer * dirs + d
                seq = layer_in if d == 0 else reverse_padded(layer_in, lengths)
                out, final, rec, grads_of = _direction(kind, rnn, seq, tuple(s[k] for s in state), layer, sfx, mask)
                outs.append(out if d == 0 else reverse_padded(out, lengths))
                finals.append(final)
                self.layers[layer]["forward" if d == 0 else "backward"] = (rec, grads_of, lengths, d == 1)
            layer_in = torch.cat(outs, 2) if dirs == 2 else outs[0]  # (B, T, S·D)
        new_state = tuple(torch.stack([f[j] for f in finals], 0) for j in range(len(finals[0])))
        ctx.states_out[self.node_id] = new_state
        if self.decoder:
            return {"out": layer_in}
        h = new_state[0]  # (L·D, B, S)
        top = h[-dirs:]
        return {"out": layer_in, "state": top.permute(1, 0, 2).reshape(B, -1)}  # (B, S·D)

    def result(self, grads: dict[int, Tensor | None], valid: Tensor | None) -> dict[int, dict[str, dict[str, np.ndarray]]]:
        out: dict[int, dict[str, dict[str, np.ndarray]]] = {}
        for layer, directions in self.layers.items():
            out[layer] = {}
            for direction, (rec, grads_of, lengths, reverse) in directions.items():
                arrays: dict[str, np.ndarray] = {}

                def finish(steps: list[Tensor]) -> np.ndarray:
                    a = torch.stack(steps, 1).detach().float()  # (B, T, units)
                    if reverse:
                        a = reverse_padded(a, lengths)
                    if valid is not None:
                        a = a.masked_fill(~valid[:, :a.shape[1], None], float("nan"))
                    return a.cpu().numpy()

                for name, steps in rec.items():
                    arrays[name] = finish(steps)
                if grads_of:
                    g = [grads.get(id(t)) if grads.get(id(t)) is not None else torch.zeros_like(t) for t in grads_of]
                    arrays["grad_h"] = finish(g)
                    arrays["grad_norm"] = np.linalg.norm(np.nan_to_num(arrays["grad_h"]), axis=-1)
                    arrays["grad_norm"][np.isnan(arrays["grad_h"][..., 0])] = np.nan
                out[layer][direction] = arrays
        return out


def probe(model: nn.Module, batch: Batch, gradients: bool = True) -> Trace:
    """Gates, states and gradient norms of every recurrent block on ``batch`` (see the module doc).

    The model runs in eval mode (no dropout) and is put back as it was; no parameter gradient is
    touched, so a probe can run between any two training steps."""
    model = getattr(model, "module", model)  # a DistributedDataParallel wrapper
    device = next(model.parameters()).device
    batch = batch.to(device)
    recorders = {n: _Recorder(n, b, batch) for n, b in model.recurrent_blocks().items()}
    handles = [r.block.register_forward_hook(r.hook) for r in recorders.values()]
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            output = model(batch.x, batch.lengths, batch.y_in)
            tensors = [t for r in recorders.values() for d in r.layers.values() for _, g, _, _ in d.values() for t in g]
            grads: dict[int, Tensor | None] = {}
            if gradients and tensors:
                loss = model.loss(output, batch.y, batch.y_mask)
                values = torch.autograd.grad(loss, tensors, allow_unused=True)
                grads = {id(t): v for t, v in zip(tensors, values)}
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    trace: Trace = {}
    for node_id, r in recorders.items():
        if r.decoder:
            valid = batch.y_mask if batch.y_mask is not None else None
        else:
            lengths = batch.lengths if batch.lengths is not None and batch.x.dim() >= 2 else None
            valid = step_mask(lengths, batch.x.shape[1], device) if lengths is not None else None
            if valid is not None and batch.x.dim() < 2:
                valid = None
        trace[node_id] = r.result(grads, valid)
    return trace
