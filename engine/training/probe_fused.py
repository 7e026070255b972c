"""The fast probe of a cell PyTorch runs on a fused kernel — ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN``
(the registry's ``fused_kernel``: "lstm", "gru", "rnn") — gates and ∂L/∂h_t without a Python loop
of autograd steps.

Each layer runs once more on PyTorch's fused kernel, from the block's own weights, with a zero
*tap* added to every step's input pre-activations (the input weights are widened by an identity
block that reads the tap). Autograd then hands back two things the kernel otherwise keeps to
itself: ∂L/∂a_t, the gradient of every step's pre-activations (the taps' gradient), and the
gradient reaching each output h_t from outside the layer. With those the total derivative
∂L/∂h_t follows without re-running the recursion:

- LSTM and RNN (Elman): h_t reaches the future only through the next step's pre-activations, so
  ∂L/∂h_t = ∂L/∂out_t + W_hhᵀ ∂L/∂a_{t+1} (+ ∂L/∂h_n at a sequence's last step, where the final
  state leaves the layer, e.g. for an encoder's bridge);
- GRU: also through the update gate's carry, h_{t+1} = (1 − z) n + z h_t, so
  ∂L/∂h_t = ∂L/∂out_t + W_hhᵀ [a_r, a_z, a_n ⊙ r]_{t+1} + z_{t+1} ⊙ ∂L/∂h_{t+1}, an element-wise
  recursion of one multiply-add per step.

The gates of all steps are two matrix products on the layer's input and its (known) previous
outputs; only the LSTM's cell state c_t = f_t c_{t−1} + i_t g_t loops, one multiply-add per step.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from engine.model.cells import reverse_padded, step_mask

GATE_BLOCKS = {"lstm": 4, "gru": 3, "rnn": 1}  # PyTorch kernel → row blocks in weight_ih
SUFFIXES = ("", "_reverse")


@lru_cache(maxsize=64)
def _template(kernel: str, input_size: int, hidden: int, dirs: int, nonlinearity: str) -> nn.Module:
    """A one-layer module on the meta device: its structure only, the weights come from the block."""
    args = dict(batch_first=True, bidirectional=dirs == 2, device="meta")
    if kernel == "lstm":
        return nn.LSTM(input_size, hidden, **args)
    if kernel == "gru":
        return nn.GRU(input_size, hidden, **args)
    return nn.RNN(input_size, hidden, nonlinearity=nonlinearity, **args)


def _weight(rnn: nn.Module, name: str, layer: int, sfx: str) -> Tensor:
    return getattr(rnn, f"{name}_l{layer}{sfx}")


def _shift_left(x: Tensor) -> Tensor:
    """x_{t+1} at position t, zero at the last step: (B, T, ...) → (B, T, ...)."""
    return torch.cat([x[:, 1:], torch.zeros_like(x[:, :1])], 1)


class FusedLayer:
    """One layer (both directions) of a fused cell, run with taps; gates and gradients on demand.

    ``kind`` names the PyTorch kernel (a key of :data:`GATE_BLOCKS`), not the cell."""

    def __init__(self, kind: str, rnn: nn.Module, layer: int, x: Tensor, state: tuple[Tensor, ...],
                 lengths: Tensor | None) -> None:
        self.kind, self.rnn, self.layer, self.lengths = kind, rnn, layer, lengths
        self.dirs = 2 if rnn.bidirectional else 1
        self.G, self.H = GATE_BLOCKS[kind], rnn.hidden_size
        B, T, I = x.shape
        GH = self.G * self.H
        self.x, self.state = x, state  # state: tensors (D, B, H) of this layer
        self.taps = x.new_zeros(B, T, self.dirs * GH).requires_grad_(torch.is_grad_enabled())
        params = {}
        for d, sfx in enumerate(SUFFIXES[: self.dirs]):
            eye = x.new_zeros(GH, self.dirs * GH)
            eye[:, d * GH:(d + 1) * GH] = torch.eye(GH, dtype=x.dtype, device=x.device)
            # detached: a probe wants ∂L/∂h_t, never the weights' gradients (autograd then skips them)
            params[f"weight_ih_l0{sfx}"] = torch.cat([_weight(rnn, "weight_ih", layer, sfx).detach(), eye], 1)
            for name in ("weight_hh", "bias_ih", "bias_hh"):
                params[f"{name}_l0{sfx}"] = _weight(rnn, name, layer, sfx).detach()
        module = _template(kind, I + self.dirs * GH, self.H, self.dirs, getattr(rnn, "nonlinearity", "tanh"))
        inp: Tensor | nn.utils.rnn.PackedSequence = torch.cat([x, self.taps], 2)  # (B, T, I + D·G·H)
        packed = lengths is not None and bool((lengths < T).any())
        if packed:
            inp = pack_padded_sequence(inp, lengths.cpu(), batch_first=True, enforce_sorted=False)
        hx = state if kind == "lstm" else state[0]
        out, final = functional_call(module, params, (inp, hx))
        if packed:
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        self.out: Tensor = out  # (B, T, H·D): exactly what the fused block computes
        self.final: tuple[Tensor, ...] = final if isinstance(final, tuple) else (final,)
        self.mask = step_mask(lengths, T, x.device)

    # ---------------------------------------------------------------- per direction, own time order
    def _own(self, t: Tensor, d: int) -> Tensor:
        """(B, T, ...) in the direction's reading order (reversed within each length for d = 1)."""
        return t if d == 0 else reverse_padded(t, self.lengths)

    def _back(self, t: Tensor, d: int) -> Tensor:
        return self._own(t, d)  # reversing twice is the identity

    @torch.no_grad()
    def values(self, d: int) -> dict[str, Tensor]:
        """Gates and states of direction ``d``, each (B, T, H) in the sequence's own time order."""
        sfx, H = SUFFIXES[d], self.H
        x = self._own(self.x, d)
        h = self._own(self.out[..., d * H:(d + 1) * H], d)
        h_prev = torch.cat([self.state[0][d].unsqueeze(1), h[:, :-1]], 1)  # (B, T, H)
        gi = F.linear(x, _weight(self.rnn, "weight_ih", self.layer, sfx), _weight(self.rnn, "bias_ih", self.layer, sfx))
        gh = F.linear(h_prev, _weight(self.rnn, "weight_hh", self.layer, sfx),
                      _weight(self.rnn, "bias_hh", self.layer, sfx))
        out: dict[str, Tensor] = {}
        if self.kind == "lstm":
            i, f, g, o = (gi + gh).chunk(4, -1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            ig, c, cs = i * g, self.state[1][d], []
            for t in range(x.shape[1]):  # the one recursion left: c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
                c = torch.addcmul(ig[:, t], f[:, t], c)
                cs.append(c)
            out = {"input": i, "forget": f, "cell": g, "output": o, "c": torch.stack(cs, 1)}
        elif self.kind == "gru":
            i_r, i_z, i_n = gi.chunk(3, -1)
            h_r, h_z, h_n = gh.chunk(3, -1)
            r = torch.sigmoid(i_r + h_r)
            out = {"reset": r, "update": torch.sigmoid(i_z + h_z), "candidate": torch.tanh(i_n + r * h_n)}
        out["h"] = h
        return {k: self._back(v, d) for k, v in out.items()}

    def grad_h(self, d: int, grad_taps: Tensor | None, grad_out: Tensor | None, grad_final: Tensor | None,
               gates: dict[str, Tensor]) -> Tensor:
        """∂L/∂h_t of direction ``d`` (B, T, H), original time order, from the autograd results."""
        H, GH, sfx = self.H, self.G * self.H, SUFFIXES[d]
        B, T = self.out.shape[:2]
        ext = self.out.new_zeros(B, T, H) if grad_out is None else self._own(grad_out[..., d * H:(d + 1) * H], d)
        if grad_final is not None:  # the final state is h at each sequence's last step (own time order)
            last = (self.lengths.to(ext.device) - 1) if self.lengths is not None else torch.full(
                (B,), T - 1, device=ext.device)
            ext = ext.clone()
            ext[torch.arange(B, device=ext.device), last] += grad_final[d]
        a = self.out.new_zeros(B, T, GH) if grad_taps is None else self._own(grad_taps[..., d * GH:(d + 1) * GH], d)
        w_hh = _weight(self.rnn, "weight_hh", self.layer, sfx).detach()  # (G·H, H)
        valid = torch.ones(B, T, 1, device=a.device) if self.mask is None else self.mask.unsqueeze(2).to(a.dtype)
        if self.kind == "gru":
            r = self._own(gates["reset"], d)
            a_r, a_z, a_n = a.chunk(3, -1)
            a = torch.cat([a_r, a_z, a_n * r], -1)  # the gradient of the hidden-side pre-activations
        base = (ext + _shift_left(a) @ w_hh) * valid  # (B, T, H)
        if self.kind != "gru":
            return self._back(base, d)
        carry = _shift_left(self._own(gates["update"], d) * valid)  # z_{t+1}, zero past the end
        delta, steps = base[:, -1], [base[:, -1]]
        for t in range(T - 2, -1, -1):
            delta = torch.addcmul(base[:, t], carry[:, t], delta)
            steps.append(delta)
        return self._back(torch.stack(steps[::-1], 1), d)


GradFn = Callable[[dict[int, Tensor]], Tensor]
