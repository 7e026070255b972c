"""Our own recurrent layers: the Jordan RNN and the minimal GRU.

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
