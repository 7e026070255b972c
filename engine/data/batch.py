"""One mini-batch as every model, trainer and metric in RNN Designer sees it (docs/internals.md).

Torch is only named here for type checkers: the module imports without it, so what a task needs
of a design (``engine.data``) can be asked without loading torch (``rnn-designer check``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from torch import Tensor


@dataclass
class Batch:
    x: Tensor  # (B, T) long · (B, T, F) float · (B, F) float · (B,) long
    y: Tensor  # (B,) long · (B, O) float · (B, T) long · (B, T, O) float · (B, T') long
    lengths: Tensor | None = None  # (B,) long valid steps of x; None = all full length
    y_in: Tensor | None = None  # (B, T') decoder input: <bos> + y[:, :-1]
    y_mask: Tensor | None = None  # (B, T) / (B, T') bool positions that count

    def to(self, device: torch.device | str) -> Batch:
        def mv(t: Tensor | None) -> Tensor | None:
            return None if t is None else t.to(device, non_blocking=True)

        return replace(self, x=mv(self.x), y=mv(self.y), lengths=mv(self.lengths),
                       y_in=mv(self.y_in), y_mask=mv(self.y_mask))

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def select(self, index: Tensor | slice) -> Batch:
        """The examples at ``index`` (a probe batch, one example to show)."""
        def sel(t: Tensor | None) -> Tensor | None:
            return None if t is None else t[index]

        return Batch(sel(self.x), sel(self.y), sel(self.lengths), sel(self.y_in), sel(self.y_mask))
