"""Our own recurrent layers (the Jordan RNN and the minimal GRU), and the torch side of every
registered cell: the ``build_*`` and ``*_step`` hooks ``engine.document.cells`` names.

LSTM, GRU and Elman blocks use PyTorch's fused ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN``. The two cells
PyTorch has no kernel for are written here with the same interface — ``forward(x, hx, lengths)``
returning ``(output, h_n)``, ``batch_first``, stacked layers, bidirectional, dropout between layers —
and the same parameter naming (``weight_ih_l0``, ``weight_hh_l0_reverse``, ...). The input
projection of all time steps is one matrix product hoisted out of the time loop; only the state
recursion runs step by step.

Minimal GRU (update gate only; gate order in the stacked weights: [update, candidate])::

    u_t = σ(W_iu x_t + b_iu + W_hu h_{t−1} + b_hu)
    ñ_t = tanh(W_in x_t + b_in + W_hn h_{t−1} + b_hn)
    h_t = (1 − u_t) ⊙ h_{t−1} + u_t ⊙ ñ_t

Jordan RNN (the previous *output* is the context)::

    h_t = tanh(W_ih x_t + b_ih + W_hh y_{t−1})
    y_t = W_ho h_t + b_ho
"""
from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def reverse_padded(x: Tensor, lengths: Tensor | None) -> Tensor:
    """Reverse each sequence of ``x`` (B, T, ...) within its own length; padding stays at the end."""
    if lengths is None:
        return x.flip(1)
    B, T = x.shape[:2]
    t = torch.arange(T, device=x.device).unsqueeze(0)  # (1, T)
    lens = lengths.to(x.device).unsqueeze(1)  # (B, 1)
    idx = torch.where(t < lens, lens - 1 - t, t)  # (B, T)
    idx = idx.view(B, T, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, idx)


def step_mask(lengths: Tensor | None, T: int, device: torch.device) -> Tensor | None:
    """(B, T) bool: True at the valid steps of each sequence; None when every step is valid."""
    if lengths is None:
        return None
    return torch.arange(T, device=device).unsqueeze(0) < lengths.to(device).unsqueeze(1)


class _LoopedRNN(nn.Module):
    """Layers × directions bookkeeping shared by our cells; subclasses define one direction's recursion."""

    gate_count = 1  # blocks of rows stacked in weight_ih

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                 dropout: float = 0.0, batch_first: bool = True, state_size: int | None = None) -> None:
        super().__init__()
        if input_size < 1 or hidden_size < 1 or num_layers < 1:
            raise ValueError(f"input_size, hidden_size and num_layers must be positive, got "
                             f"{input_size}, {hidden_size}, {num_layers}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if not batch_first:
            raise ValueError("only batch_first=True is supported")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bidirectional, self.dropout, self.batch_first = bidirectional, dropout, batch_first
        self.state_size = state_size or hidden_size
        self.num_directions = 2 if bidirectional else 1

    def _suffixes(self) -> list[str]:
        return [""] + (["_reverse"] if self.bidirectional else [])

    def _init_uniform(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def _layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.state_size * self.num_directions

    def forward(self, x: Tensor, hx: Tensor | None = None, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """x (B, T, I) → output (B, T, S·D), h_n (L·D, B, S); ``lengths`` (B,) masks padding."""
        if x.dim() != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"expected input (B, T, {self.input_size}), got {tuple(x.shape)}")
        B, T, _ = x.shape
        if hx is None:
            hx = x.new_zeros(self.num_layers * self.num_directions, B, self.state_size)
        mask = step_mask(lengths, T, x.device)
        finals = []
        layer_in = x
        for layer in range(self.num_layers):
            outs = []
            for d, sfx in enumerate(self._suffixes()):
                seq = layer_in if d == 0 else reverse_padded(layer_in, lengths)
                out, h = self._direction(seq, hx[layer * self.num_directions + d], layer, sfx, mask)
                outs.append(out if d == 0 else reverse_padded(out, lengths))
                finals.append(h)
            layer_in = torch.cat(outs, dim=2) if len(outs) > 1 else outs[0]  # (B, T, S·D)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        return layer_in, torch.stack(finals, 0)

    def _direction(self, x: Tensor, h: Tensor, layer: int, sfx: str, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def weights(self, layer: int, reverse: bool = False) -> dict[str, Tensor]:
        """The parameters of one layer and direction, by their short names (``weight_ih``, ...)."""
        sfx = f"_l{layer}" + ("_reverse" if reverse else "")
        return {n[: -len(sfx)]: p for n, p in self.named_parameters() if n.endswith(sfx)}

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
        if self.bidirectional:
            s += ", bidirectional=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        return s


class MinimalGRU(_LoopedRNN):
    """The simple GRU of the course notes: one update gate, no reset gate."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                 dropout: float = 0.0, batch_first: bool = True) -> None:
        super().__init__(input_size, hidden_size, num_layers, bidirectional, dropout, batch_first)
        H = hidden_size
        for layer in range(num_layers):
            for sfx in self._suffixes():
                i = self._layer_input_size(layer)
                self.register_parameter(f"weight_ih_l{layer}{sfx}", nn.Parameter(torch.empty(2 * H, i)))
                self.register_parameter(f"weight_hh_l{layer}{sfx}", nn.Parameter(torch.empty(2 * H, H)))
                self.register_parameter(f"bias_ih_l{layer}{sfx}", nn.Parameter(torch.empty(2 * H)))
                self.register_parameter(f"bias_hh_l{layer}{sfx}", nn.Parameter(torch.empty(2 * H)))
        self._init_uniform()

    def _direction(self, x: Tensor, h: Tensor, layer: int, sfx: str, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        p = f"_l{layer}{sfx}"
        w_hh, b_hh = getattr(self, "weight_hh" + p), getattr(self, "bias_hh" + p)
        xp = F.linear(x, getattr(self, "weight_ih" + p), getattr(self, "bias_ih" + p))  # (B, T, 2H)
        outs = []
        for t in range(x.shape[1]):
            u, n = (xp[:, t] + F.linear(h, w_hh, b_hh)).chunk(2, 1)  # (B, H) each
            h_new = torch.lerp(h, torch.tanh(n), torch.sigmoid(u))  # (1 − u) h + u ñ
            if mask is not None:
                m = mask[:, t, None]
                h = torch.where(m, h_new, h)
                outs.append(h_new * m)
            else:
                h = h_new
                outs.append(h)
        return torch.stack(outs, 1), h  # (B, T, H), (B, H)


class JordanRNN(_LoopedRNN):
    """Jordan's network: the hidden layer reads the input and the previous output y_{t−1}."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int | None = None, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, batch_first: bool = True) -> None:
        O = output_size or hidden_size
        super().__init__(input_size, hidden_size, num_layers, bidirectional, dropout, batch_first, state_size=O)
        self.output_size = O
        H = hidden_size
        for layer in range(num_layers):
            for sfx in self._suffixes():
                i = self._layer_input_size(layer)
                self.register_parameter(f"weight_ih_l{layer}{sfx}", nn.Parameter(torch.empty(H, i)))
                self.register_parameter(f"bias_ih_l{layer}{sfx}", nn.Parameter(torch.empty(H)))
                self.register_parameter(f"weight_hh_l{layer}{sfx}", nn.Parameter(torch.empty(H, O)))
                self.register_parameter(f"weight_ho_l{layer}{sfx}", nn.Parameter(torch.empty(O, H)))
                self.register_parameter(f"bias_ho_l{layer}{sfx}", nn.Parameter(torch.empty(O)))
        self._init_uniform()

    def _direction(self, x: Tensor, y: Tensor, layer: int, sfx: str, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        p = f"_l{layer}{sfx}"
        w_hh, w_ho, b_ho = (getattr(self, n + p) for n in ("weight_hh", "weight_ho", "bias_ho"))
        xp = F.linear(x, getattr(self, "weight_ih" + p), getattr(self, "bias_ih" + p))  # (B, T, H)
        outs = []
        for t in range(x.shape[1]):
            h = torch.tanh(xp[:, t] + F.linear(y, w_hh))  # (B, H)
            y_new = F.linear(h, w_ho, b_ho)  # (B, O)
            if mask is not None:
                m = mask[:, t, None]
                y = torch.where(m, y_new, y)
                outs.append(y_new * m)
            else:
                y = y_new
                outs.append(y)
        return torch.stack(outs, 1), y  # (B, T, O), (B, O)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", output_size={self.output_size}"


# --------------------------------------------------------------------------- the registry's hooks
# ``engine.document.cells`` names these by "module:function". ``build_*`` makes a block's module;
# ``*_step`` recomputes one time step of one layer and direction from its weights, for the probes:
# (weights by short name, the step's input projection W_ih x_t + b_ih (B, G·H), the carried state)
# → (the new carried state, every record of the step by name).
Weights = dict[str, Tensor]
StepResult = tuple[tuple[Tensor, ...], dict[str, Tensor]]


def build_lstm(input_size: int, p: dict[str, Any], **common: Any) -> nn.Module:
    return nn.LSTM(input_size, p["hidden_size"], **common)


def build_gru(input_size: int, p: dict[str, Any], **common: Any) -> nn.Module:
    return nn.GRU(input_size, p["hidden_size"], **common)


def build_elman(input_size: int, p: dict[str, Any], **common: Any) -> nn.Module:
    return nn.RNN(input_size, p["hidden_size"], nonlinearity=p.get("nonlinearity", "tanh"), **common)


def build_min_gru(input_size: int, p: dict[str, Any], **common: Any) -> nn.Module:
    return MinimalGRU(input_size, p["hidden_size"], **common)


def build_jordan(input_size: int, p: dict[str, Any], **common: Any) -> nn.Module:
    return JordanRNN(input_size, p["hidden_size"], p.get("output_size") or None, **common)


def lstm_step(w: Weights, xp: Tensor, state: tuple[Tensor, ...], rnn: nn.Module) -> StepResult:
    h, c = state
    i, f, g, o = (xp + F.linear(h, w["weight_hh"], w["bias_hh"])).chunk(4, 1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c_new = f * c + i * g
    new = o * torch.tanh(c_new)
    return (new, c_new), {"input": i, "forget": f, "cell": g, "output": o, "c": c_new, "h": new}


def gru_step(w: Weights, xp: Tensor, state: tuple[Tensor, ...], rnn: nn.Module) -> StepResult:
    h = state[0]
    gi_r, gi_z, gi_n = xp.chunk(3, 1)
    gh_r, gh_z, gh_n = F.linear(h, w["weight_hh"], w["bias_hh"]).chunk(3, 1)
    r, z = torch.sigmoid(gi_r + gh_r), torch.sigmoid(gi_z + gh_z)
    n = torch.tanh(gi_n + r * gh_n)
    new = (1 - z) * n + z * h
    return (new,), {"reset": r, "update": z, "candidate": n, "h": new}


def min_gru_step(w: Weights, xp: Tensor, state: tuple[Tensor, ...], rnn: nn.Module) -> StepResult:
    h = state[0]
    u, n = (xp + F.linear(h, w["weight_hh"], w["bias_hh"])).chunk(2, 1)
    u, n = torch.sigmoid(u), torch.tanh(n)
    new = torch.lerp(h, n, u)  # (1 − u) h + u ñ
    return (new,), {"update": u, "candidate": n, "h": new}


def elman_step(w: Weights, xp: Tensor, state: tuple[Tensor, ...], rnn: nn.Module) -> StepResult:
    act = torch.relu if getattr(rnn, "nonlinearity", "tanh") == "relu" else torch.tanh
    new = act(xp + F.linear(state[0], w["weight_hh"], w["bias_hh"]))
    return (new,), {"h": new}


def jordan_step(w: Weights, xp: Tensor, state: tuple[Tensor, ...], rnn: nn.Module) -> StepResult:
    hidden = torch.tanh(xp + F.linear(state[0], w["weight_hh"]))  # the carried state is the previous output y
    y = F.linear(hidden, w["weight_ho"], w["bias_ho"])
    return (y,), {"h": hidden, "y": y}


def layer_weights(rnn: nn.Module, layer: int, suffix: str = "") -> Weights:
    """One layer and direction's parameters by short name (``weight_ih``, ...); ``suffix`` "" or "_reverse"."""
    end = f"_l{layer}{suffix}"
    return {n[: -len(end)]: p for n, p in rnn.named_parameters() if n.endswith(end)}
