"""Attention of a decoder over its encoder's outputs: additive (Bahdanau) and multiplicative (Luong).

The decoder's cell runs first (fused over every target step while training); then at each target
step its top-layer state ``h_t`` (the *query*) scores every source step ``m_s`` of the memory (the
encoder's ``out``), the scores become weights by a softmax over the valid source steps only
(padding gets exactly zero weight), the context is the weighted sum of the memory and the decoder
emits the attentional state ``h̃_t = tanh(W_c [c_t; h_t])`` in place of ``h_t`` (Luong et al.,
2015, "global attention"; the additive score is Bahdanau et al.'s, 2015)::

    additive  score(h_t, m_s) = vᵀ tanh(W_q h_t + W_m m_s)
    dot       score(h_t, m_s) = h_tᵀ m_s            (the memory as wide as the decoder)
    general   score(h_t, m_s) = h_tᵀ W_a m_s

Because the query is the state *after* the step, teacher forcing attends over all target steps in
one batched product and one decoding step attends with the same code (T' = 1), so the two agree.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from engine.document.attention import SCORES


class Attention(nn.Module):
    """Scores a query sequence (B, T', H) against a memory (B, T, M) with a validity mask (B, T)."""

    def __init__(self, score: str, query_size: int, memory_size: int) -> None:
        super().__init__()
        if score not in SCORES:
            raise ValueError(f"attention score must be one of {', '.join(SCORES)}, got {score!r}")
        if score == "dot" and query_size != memory_size:
            raise ValueError(f"dot attention needs the memory as wide as the query ({query_size}), got {memory_size}")
        self.score, self.query_size, self.memory_size = score, query_size, memory_size
        if score == "additive":
            self.w_query = nn.Linear(query_size, query_size)
            self.w_memory = nn.Linear(memory_size, query_size, bias=False)
            self.v = nn.Linear(query_size, 1, bias=False)
        elif score == "general":
            self.w_memory = nn.Linear(memory_size, query_size, bias=False)
        self.combine = nn.Linear(memory_size + query_size, query_size)

    def forward(self, query: Tensor, memory: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        """The attentional states (B, T', H) and the weights (B, T', T), zero where ``mask`` is False."""
        if self.score == "additive":
            q = self.w_query(query).unsqueeze(2)  # (B, T', 1, H)
            k = self.w_memory(memory).unsqueeze(1)  # (B, 1, T, H)
            scores = self.v(torch.tanh(q + k)).squeeze(-1)  # (B, T', T)
        elif self.score == "general":
            scores = torch.bmm(query, self.w_memory(memory).transpose(1, 2))  # (B, T', T)
        else:
            scores = torch.bmm(query, memory.transpose(1, 2))  # (B, T', T)
        weights = masked_softmax(scores, mask)
        context = torch.bmm(weights, memory)  # (B, T', M)
        return torch.tanh(self.combine(torch.cat([context, query], -1))), weights  # (B, T', H)

    def extra_repr(self) -> str:
        return f"score={self.score!r}, query={self.query_size}, memory={self.memory_size}"


def masked_softmax(scores: Tensor, mask: Tensor | None) -> Tensor:
    """Softmax over the last axis (source steps) where ``mask`` (B, T) holds; exactly 0 elsewhere.

    A row with no valid step at all (an empty source) gets all-zero weights, not NaN."""
    if mask is None:
        return torch.softmax(scores, -1)
    valid = mask.unsqueeze(1)  # (B, 1, T)
    weights = torch.softmax(scores.masked_fill(~valid, torch.finfo(scores.dtype).min), -1)
    return weights.masked_fill(~valid, 0.0)


def source_mask(lengths: Tensor | None, memory: Tensor) -> Tensor:
    """(B, T) True at the valid source steps of ``memory`` (B, T, M); all True without lengths."""
    B, T = memory.shape[:2]
    if lengths is None or lengths.shape[0] != B:
        return torch.ones(B, T, dtype=torch.bool, device=memory.device)
    return torch.arange(T, device=memory.device).view(1, T) < lengths.to(memory.device).view(B, 1)
