"""A throw-away sixth cell for the registry tests: a tanh cell with one "keep" gate, in plain torch.

    k_t = σ(W_ik x_t + b_ik + W_hk h_{t−1} + b_hk)          keep gate
    n_t = tanh(W_in x_t + b_in + W_hn h_{t−1} + b_hn)        candidate (not recorded)
    h_t = k_t ⊙ h_{t−1} + (1 − k_t) ⊙ n_t

Nothing outside this file knows it: :func:`keep_cell_registered` registers it for one test and
unregisters it afterwards.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine.document import cells
from engine.document.cells import CELL_PARAMS, CellSpec, Gate, Record

KIND = "keep_rnn"
TITLE = "Keep RNN"


class KeepRNN(nn.Module):
    """One layer, one direction: enough for a throw-away cell."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0,
                 bidirectional: bool = False, batch_first: bool = True) -> None:
        super().__init__()
        if num_layers != 1 or bidirectional:
            raise ValueError("the keep cell has one layer and one direction")
        self.input_size, self.hidden_size, self.num_layers, self.bidirectional = input_size, hidden_size, 1, False
        H = hidden_size
        self.weight_ih_l0 = nn.Parameter(torch.empty(2 * H, input_size).uniform_(-0.5, 0.5))
        self.weight_hh_l0 = nn.Parameter(torch.empty(2 * H, H).uniform_(-0.5, 0.5))
        self.bias_ih_l0 = nn.Parameter(torch.zeros(2 * H))
        self.bias_hh_l0 = nn.Parameter(torch.zeros(2 * H))

    def forward(self, x: Tensor, hx: Tensor | None = None, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        B, T, _ = x.shape
        h = x.new_zeros(B, self.hidden_size) if hx is None else hx[0]
        w = {"weight_hh": self.weight_hh_l0, "bias_hh": self.bias_hh_l0}
        xp = F.linear(x, self.weight_ih_l0, self.bias_ih_l0)  # (B, T, 2H)
        outs = []
        for t in range(T):
            (new,), _ = keep_step(w, xp[:, t], (h,), self)
            if lengths is not None:
                m = (t < lengths.to(x.device)).unsqueeze(1)  # (B, 1)
                h = torch.where(m, new, h)
                outs.append(new * m)
            else:
                h = new
                outs.append(new)
        return torch.stack(outs, 1), h.unsqueeze(0)  # (B, T, H), (1, B, H)


def keep_step(w: dict[str, Tensor], xp: Tensor, state: tuple[Tensor, ...], rnn: nn.Module) -> tuple[tuple[Tensor, ...], dict[str, Tensor]]:
    h = state[0]
    k, n = (xp + F.linear(h, w["weight_hh"], w["bias_hh"])).chunk(2, 1)
    k = torch.sigmoid(k)
    new = k * h + (1 - k) * torch.tanh(n)
    return (new,), {"keep": k, "h": new}


def build_keep(input_size: int, p: dict[str, Any], **common: Any) -> nn.Module:
    return KeepRNN(input_size, p["hidden_size"], **common)


KEEP = CellSpec(
    KIND, TITLE, "KEEP", "gated", "A tanh cell with one keep gate (a test's throw-away cell).",
    ("k_t = σ(W_ik x_t + W_hk h_{t−1} + b_k)  keep gate", "h_t = k_t ⊙ h_{t−1} + (1 − k_t) ⊙ tanh(W x_t + U h_{t−1} + b)"),
    CELL_PARAMS, (Gate("keep", "keep gate", "kₜ", "forget"),), (Record("h", "hidden state", "hₜ"),),
    build_keep, keep_step, weight_blocks=2, decoder_note="it has one layer and one direction only")


@contextmanager
def keep_cell_registered() -> Iterator[CellSpec]:
    cells.register(KEEP)
    try:
        yield KEEP
    finally:
        cells.unregister(KIND)
