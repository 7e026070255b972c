"""Probes: the inside of every recurrent cell — gates, cell state, hidden state and gradient flow.

``probe(model, batch)`` runs the model once on a small batch with every recurrent block (cells
and the decoder) swapped for a recomputation from the block's own weights. For a cell a PyTorch
fused kernel runs (the registry's ``fused_kernel``: LSTM, GRU, Elman) each layer runs again on the
kernel with zero "taps" on its pre-activations, the gates of all steps are two matrix products, and
∂L/∂h_t comes from the taps' gradients (``engine.training.probe_fused``); every other cell (Jordan,
minimal GRU, any registered one) is recomputed step by step by its registered ``step`` hook. The
recorded h_t equals the fused module's output (fp32, atol 1e-5; tested), so what the plots show is
what training computed. Training itself never goes through this path.

The result is a plain nested dict of numpy arrays::

    trace[block_id][layer][direction][name]   # layer 0, 1, ...; direction "forward" | "backward"

with ``name`` one of the cell's records (``engine.document.cells``: ``CellSpec.records``, also
``GATES[kind]`` here), for the built-in cells

- LSTM: ``"input"``, ``"forget"``, ``"cell"`` (candidate g_t), ``"output"``, ``"c"``, ``"h"``
- GRU: ``"reset"``, ``"update"``, ``"candidate"``, ``"h"``
- minimal GRU: ``"update"``, ``"candidate"``, ``"h"``
- Elman: ``"h"``
- Jordan: ``"h"`` (the hidden layer), ``"y"`` (the output fed back)
- an attending decoder's top layer, besides: ``"attention"`` (N, T', T), target step × source
  step, each row summing to 1 over the source's valid steps (0 on its padding)
- every cell: ``"grad_h"`` ∂L/∂h_t and ``"grad_norm"`` ‖∂L/∂h_t‖, the total derivative of the
  probe batch's loss with respect to each step's hidden state (through every later step too):
  it shrinks towards early steps when gradients vanish and grows when they explode.

Each array is shaped (N, T, units) — ``grad_norm`` (N, T) — for the N probe sequences, so
``trace[b][0]["forward"]["forget"][i]`` is sequence i's (time, units) forget gate. Steps past a
sequence's end are NaN. A decoder's time axis is the target's.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine.data.batch import Batch
from engine.document.cells import CellSpec, cell, cells, resolve
from engine.model.cells import layer_weights, reverse_padded, step_mask
from engine.training.probe_fused import GATE_BLOCKS, FusedLayer


class _Records(Mapping[str, tuple[str, ...]]):
    """Cell kind → the arrays its probe records (gates first), read from the cell registry."""

    def __getitem__(self, kind: str) -> tuple[str, ...]:
        return cell(kind).records

    def __iter__(self) -> Iterator[str]:
        return iter([c.kind for c in cells()])

    def __len__(self) -> int:
        return len(cells())


GATES: Mapping[str, tuple[str, ...]] = _Records()
Trace = dict[str, dict[int, dict[str, dict[str, np.ndarray]]]]
DIRECTIONS = ("forward", "backward")


def _direction(spec: CellSpec, rnn: nn.Module, x: Tensor, state: tuple[Tensor, ...], layer: int, sfx: str,
               mask: Tensor | None) -> tuple[Tensor, tuple[Tensor, ...], dict[str, list[Tensor]], list[Tensor]]:
    """One layer and direction of one cell, step by step from its weights (the cell's ``step`` hook).

    x (B, T, I) → output (B, T, S), final state, per-step records (name → T × (B, units)), and
    the per-step tensors whose gradients are ``grad_h``."""
    w = layer_weights(rnn, layer, sfx)
    step = resolve(spec.step)
    xp = F.linear(x, w["weight_ih"], w.get("bias_ih"))  # (B, T, G·H): every step's input projection at once
    rec: dict[str, list[Tensor]] = {n: [] for n in spec.records}
    grads_of: list[Tensor] = []
    outs: list[Tensor] = []
    for t in range(x.shape[1]):
        m = None if mask is None else mask[:, t, None]  # (B, 1)
        new_state, vals = step(w, xp[:, t], state, rnn)
        new = new_state[0]  # what the layer emits at this step
        if new.requires_grad:
            grads_of.append(vals["h"])
        for name in rec:
            rec[name].append(vals[name])
        state = new_state if m is None else tuple(torch.where(m, n, o) for n, o in zip(new_state, state))
        outs.append(new if m is None else new * m)
    return torch.stack(outs, 1), state, rec, grads_of


@dataclass
class _Record:
    """One layer and direction: its values (name → (B, T, units), original time order, no grad) and
    how to turn autograd's answers into ∂L/∂h_t."""

    values: dict[str, Tensor]
    needs: list[Tensor]  # the tensors whose gradients grad_h is made of
    grad_h: Callable[[list[Tensor | None]], Tensor]


class _Recorder:
    """Replaces one recurrent block's forward pass with the probing recomputation and keeps records."""

    def __init__(self, node_id: str, block: nn.Module, stepwise: bool) -> None:
        self.node_id, self.block = node_id, block
        self.rnn = block.rnn
        self.cell: CellSpec = block.cell
        self.kind = self.cell.kind
        self.fused = self.cell.fused_kernel in GATE_BLOCKS and not stepwise
        self.decoder = hasattr(block, "initial_state")
        self.layers: dict[int, dict[str, _Record]] = {}
        self.lengths: Tensor | None = None
        self.attention: Tensor | None = None  # a decoder's attention weights (B, T', T)

    def forward(self, inputs: dict[str, Tensor], ctx: Any) -> dict[str, Tensor]:
        """Stands in for the block's own ``forward`` while probing (same inputs, same outputs)."""
        module, rnn = self.block, self.rnn
        if self.decoder:
            x = module.embed(ctx.target_in)  # (B, T', E)
            lengths = None
            state = ctx.states_in.get(self.node_id) or module.initial_state(inputs["init"])
        else:
            x = inputs["in"]  # (B, T, F)
            lengths = ctx.lengths if ctx.lengths is not None and ctx.lengths.shape[0] == x.shape[0] else None
            state = ctx.states_in.get(self.node_id)
        self.lengths = lengths
        B, T = x.shape[:2]
        dirs = 2 if getattr(rnn, "bidirectional", False) else 1
        size = getattr(rnn, "state_size", None) or rnn.hidden_size
        if state is None:
            zeros = x.new_zeros(rnn.num_layers * dirs, B, size)
            state = (zeros,) + tuple(torch.zeros_like(zeros) for _ in self.cell.carried[1:])
        layer_in = x
        finals: list[tuple[Tensor, ...]] = []
        for layer in range(rnn.num_layers):
            layer_state = tuple(s[layer * dirs:(layer + 1) * dirs] for s in state)  # (D, B, S) each
            if self.fused:
                layer_in, final = self._fused_layer(layer, layer_in, layer_state, lengths)
            else:
                layer_in, final = self._stepwise_layer(layer, layer_in, layer_state, lengths, dirs)
            finals.append(final)
        new_state = tuple(torch.cat([f[j] for f in finals], 0) for j in range(len(finals[0])))  # (L·D, B, S)
        ctx.states_out[self.node_id] = new_state
        if self.decoder:
            outputs = module.attend(layer_in, inputs, ctx)  # the attentional states, when it attends
            if "attention" in outputs:
                self.attention = outputs["attention"].detach()  # (B, T', T)
            return outputs
        top = new_state[0][-dirs:]
        return {"out": layer_in, "state": top.permute(1, 0, 2).reshape(B, -1)}  # (B, S·D)

    def _fused_layer(self, layer: int, x: Tensor, state: tuple[Tensor, ...],
                     lengths: Tensor | None) -> tuple[Tensor, tuple[Tensor, ...]]:
        run = FusedLayer(self.cell.fused_kernel, self.rnn, layer, x, state, lengths)
        self.layers[layer] = {}
        for d in range(run.dirs):
            values = run.values(d)
            grad = (lambda g, d=d, values=values: run.grad_h(d, g[0], g[1], g[2], values))
            self.layers[layer][DIRECTIONS[d]] = _Record(values, [run.taps, run.out, run.final[0]], grad)
        return run.out, run.final

    def _stepwise_layer(self, layer: int, x: Tensor, state: tuple[Tensor, ...], lengths: Tensor | None,
                        dirs: int) -> tuple[Tensor, tuple[Tensor, ...]]:
        mask = step_mask(lengths, x.shape[1], x.device)
        outs, finals = [], []
        self.layers[layer] = {}
        for d, sfx in enumerate(("", "_reverse")[:dirs]):
            seq = x if d == 0 else reverse_padded(x, lengths)
            out, final, rec, grads_of = _direction(self.cell, self.rnn, seq, tuple(s[d] for s in state), layer, sfx,
                                                   mask)
            outs.append(out if d == 0 else reverse_padded(out, lengths))
            finals.append(final)

            def back(steps: list[Tensor], d: int = d) -> Tensor:
                a = torch.stack(steps, 1)  # (B, T, units)
                return a if d == 0 else reverse_padded(a, lengths)

            values = {name: back(steps).detach() for name, steps in rec.items()}
            grad = (lambda g, grads_of=grads_of, back=back:
                    back([v if v is not None else torch.zeros_like(t) for t, v in zip(grads_of, g)]))
            self.layers[layer][DIRECTIONS[d]] = _Record(values, list(grads_of), grad)
        final = tuple(torch.stack([f[j] for f in finals], 0) for j in range(len(finals[0])))
        return (torch.cat(outs, 2) if dirs == 2 else outs[0]), final

    def result(self, grads: dict[int, Tensor | None], valid: Tensor | None) -> dict[int, dict[str, dict[str, np.ndarray]]]:
        def finish(a: Tensor) -> np.ndarray:
            a = a.detach().float()  # (B, T, units)
            if valid is not None:
                a = a.masked_fill(~valid[:, :a.shape[1], None], float("nan"))
            return a.cpu().numpy()

        out: dict[int, dict[str, dict[str, np.ndarray]]] = {}
        for layer, directions in self.layers.items():
            out[layer] = {}
            for direction, record in directions.items():
                arrays = {name: finish(v) for name, v in record.values.items()}
                if grads:
                    arrays["grad_h"] = finish(record.grad_h([grads.get(id(t)) for t in record.needs]))
                    arrays["grad_norm"] = np.linalg.norm(np.nan_to_num(arrays["grad_h"]), axis=-1)
                    arrays["grad_norm"][np.isnan(arrays["grad_h"][..., 0])] = np.nan
                out[layer][direction] = arrays
        if self.attention is not None and out:  # beside the top layer's states, which are its queries
            out[max(out)]["forward"]["attention"] = finish(self.attention)
        return out


def probe(model: nn.Module, batch: Batch, gradients: bool = True, stepwise: bool = False) -> Trace:
    """Gates, states and gradient norms of every recurrent block on ``batch`` (see the module doc).

    The model runs in eval mode (no dropout) and is put back as it was; no parameter gradient is
    touched, so a probe can run between any two training steps. ``stepwise`` recomputes the fused
    cells step by step with autograd through every step too: slow, and the reference the fast
    path (``engine.training.probe_fused``) is tested against."""
    model = getattr(model, "module", model)  # a DistributedDataParallel wrapper
    device = next(model.parameters()).device
    batch = batch.to(device)
    recorders = {n: _Recorder(n, b, stepwise) for n, b in model.recurrent_blocks().items()}
    for r in recorders.values():  # the instance attribute shadows the class's forward until removed
        r.block.forward = r.forward
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            output = model(batch.x, batch.lengths, batch.y_in)
            tensors = list({id(t): t for r in recorders.values() for d in r.layers.values()
                            for rec in d.values() for t in rec.needs}.values())
            grads: dict[int, Tensor | None] = {}
            if gradients and tensors:
                loss = model.loss(output, batch.y, batch.y_mask)
                values = torch.autograd.grad(loss, tensors, allow_unused=True)
                grads = {id(t): v for t, v in zip(tensors, values)}
    finally:
        for r in recorders.values():
            del r.block.forward
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
