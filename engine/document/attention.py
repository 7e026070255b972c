"""What the document knows about a decoder's attention: the choices, their words and equations,
and how many weights each adds. The module itself is ``engine.model.attention``; the decoder's
``attention`` parameter (engine.document.blocks) and ``docs/cells.md`` read this table.

The decoder's cell runs first; then at each target step its top-layer state ``h_t`` (the query)
scores every source step ``m_s`` of the memory (the encoder's ``out``, wired to the decoder's
``memory`` port), a softmax over the valid source steps turns scores into weights (padding gets
exactly zero), the context is the weighted sum of the memory, and the decoder emits the
attentional state ``h̃_t`` in place of ``h_t`` (Luong et al., 2015, global attention; the
additive score is Bahdanau et al.'s, 2015).
"""
from __future__ import annotations

SCORES = ("additive", "dot", "general")
CHOICES = ("none",) + SCORES  # the values of the decoder's ``attention`` parameter
TITLES = ("None (state only)", "Additive (Bahdanau)", "Dot (Luong)", "General (Luong)")

EQUATIONS: dict[str, str] = {
    "additive": "e_ts = vᵀ tanh(W_q h_t + W_m m_s)",
    "dot": "e_ts = h_tᵀ m_s        (m_s as wide as h_t)",
    "general": "e_ts = h_tᵀ W_a m_s",
}
SHARED_EQUATIONS = (
    "a_ts = exp(e_ts) / Σ_{s' < len} exp(e_ts')    (a_ts = 0 on padding, s ≥ len)",
    "c_t  = Σ_s a_ts m_s",
    "h̃_t  = tanh(W_c [c_t; h_t] + b_c)",
)


def attention_params(score: str, query_size: int, memory_size: int) -> int:
    """How many weights an attention of ``score`` adds to a decoder of width ``query_size``."""
    if score not in SCORES:
        return 0
    combine = (memory_size + query_size) * query_size + query_size
    if score == "additive":
        return combine + query_size * query_size + query_size + memory_size * query_size + query_size
    if score == "general":
        return combine + memory_size * query_size
    return combine
