"""The fixed parts of an exported ``model.py``: helper functions and the cell classes PyTorch has no
module for, as source text. :mod:`engine.export.pytorch` puts in the ones a design uses.

The code here mirrors ``engine.model.cells`` and ``engine.model.modules`` operation for operation
(the same products in the same order), so an exported model gives the compiled model's numbers.
It imports only torch.
"""
from __future__ import annotations

IMPORTS = '''\
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD, BOS, EOS = 0, 1, 2  # reserved token ids: padding, begin and end of a sequence
State = Tensor | tuple[Tensor, Tensor]  # a recurrent state: h (layers·directions, B, size), or an LSTM's (h, c)
'''

RUN_RNN = '''

def run_rnn(rnn: nn.Module, x: Tensor, lengths: Tensor | None, state: State | None = None) -> tuple[Tensor, State]:
    """Run a recurrent layer over padded sequences x (B, T, F): outputs (B, T, H·D), 0 past each row's
    length, and the state after each row's last valid step."""
    if not isinstance(rnn, (nn.RNN, nn.GRU, nn.LSTM)):
        return rnn(x, state, lengths)  # our own cells take the lengths themselves
    if lengths is not None and bool((lengths < x.shape[1]).any()):  # PyTorch's kernels read packed sequences
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, state = rnn(packed, state)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])  # (B, T, H·D)
        return out, state
    return rnn(x, state)


def top_state(state: State, directions: int) -> Tensor:
    """The top layer's final hidden state, its directions side by side: (B, H·D)."""
    h = state[0] if isinstance(state, tuple) else state  # (L·D, B, H)
    top = h[-directions:]  # (D, B, H)
    return top.permute(1, 0, 2).reshape(h.shape[1], -1)
'''

LAST_STEP = '''

def last_step(x: Tensor, lengths: Tensor | None) -> Tensor:
    """Each row's last valid step: (B, T, F) → (B, F)."""
    if lengths is None:
        return x[:, -1]
    idx = (lengths.to(x.device) - 1).clamp(min=0).view(-1, 1, 1).expand(-1, 1, x.shape[2])  # (B, 1, F)
    return x.gather(1, idx).squeeze(1)
'''

MEAN_STEPS = '''

def mean_steps(x: Tensor, lengths: Tensor | None) -> Tensor:
    """The mean of each row's valid steps: (B, T, F) → (B, F)."""
    if lengths is None:
        return x.mean(1)
    m = (torch.arange(x.shape[1], device=x.device).unsqueeze(0) < lengths.to(x.device).unsqueeze(1))  # (B, T)
    m = m.unsqueeze(2).to(x.dtype)  # (B, T, 1)
    return (x * m).sum(1) / m.sum(1).clamp(min=1.0)
'''

LOOPED_RNN = '''

def reverse_padded(x: Tensor, lengths: Tensor | None) -> Tensor:
    """Reverse each row of x (B, T, ...) within its own length; padding stays at the end."""
    if lengths is None:
        return x.flip(1)
    B, T = x.shape[:2]
    t = torch.arange(T, device=x.device).unsqueeze(0)  # (1, T)
    lens = lengths.to(x.device).unsqueeze(1)  # (B, 1)
    idx = torch.where(t < lens, lens - 1 - t, t)  # (B, T)
    idx = idx.view(B, T, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, idx)


class LoopedRNN(nn.Module):
    """Stacked, optionally bidirectional layers of a cell written as a loop over the time steps.

    forward(x (B, T, I), h0 (L·D, B, S) or None, lengths (B,) or None) → (B, T, S·D), h_n (L·D, B, S).
    Past a row's length the state is held and the output is 0; a reverse direction starts at the
    row's last valid step. Subclasses write one direction of one layer (``direction``)."""

    def __init__(self, input_size: int, hidden_size: int, state_size: int, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.state_size = input_size, hidden_size, state_size
        self.num_layers, self.bidirectional, self.dropout = num_layers, bidirectional, dropout
        self.num_directions = 2 if bidirectional else 1
        self.suffixes = [""] + (["_reverse"] if bidirectional else [])

    def layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.state_size * self.num_directions

    def forward(self, x: Tensor, hx: Tensor | None = None, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        B, T, _ = x.shape
        if hx is None:
            hx = x.new_zeros(self.num_layers * self.num_directions, B, self.state_size)
        mask = None if lengths is None else torch.arange(T, device=x.device).unsqueeze(0) < lengths.to(x.device).unsqueeze(1)
        finals = []
        layer_in = x  # (B, T, I)
        for layer in range(self.num_layers):
            outs = []
            for d, sfx in enumerate(self.suffixes):
                seq = layer_in if d == 0 else reverse_padded(layer_in, lengths)
                out, h = self.direction(seq, hx[layer * self.num_directions + d], f"_l{layer}{sfx}", mask)
                outs.append(out if d == 0 else reverse_padded(out, lengths))
                finals.append(h)
            layer_in = torch.cat(outs, dim=2) if len(outs) > 1 else outs[0]  # (B, T, S·D)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        return layer_in, torch.stack(finals, 0)  # (B, T, S·D), (L·D, B, S)

    def direction(self, x: Tensor, h: Tensor, p: str, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def reset_parameters(self) -> None:
        bound = 1.0 / self.hidden_size ** 0.5
        for w in self.parameters():
            nn.init.uniform_(w, -bound, bound)
'''

MINIMAL_GRU = '''

class MinimalGRU(LoopedRNN):
    """The minimal GRU: an update gate only (stacked weights: [update, candidate]).

        u_t = σ(W_iu x_t + b_iu + W_hu h_{t−1} + b_hu)
        ñ_t = tanh(W_in x_t + b_in + W_hn h_{t−1} + b_hn)
        h_t = (1 − u_t) ⊙ h_{t−1} + u_t ⊙ ñ_t
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bidirectional: bool = False,
                 dropout: float = 0.0) -> None:
        super().__init__(input_size, hidden_size, hidden_size, num_layers, bidirectional, dropout)
        H = hidden_size
        for layer in range(num_layers):
            for sfx in self.suffixes:
                i = self.layer_input_size(layer)
                self.register_parameter(f"weight_ih_l{layer}{sfx}", nn.Parameter(torch.empty(2 * H, i)))
                self.register_parameter(f"weight_hh_l{layer}{sfx}", nn.Parameter(torch.empty(2 * H, H)))
                self.register_parameter(f"bias_ih_l{layer}{sfx}", nn.Parameter(torch.empty(2 * H)))
                self.register_parameter(f"bias_hh_l{layer}{sfx}", nn.Parameter(torch.empty(2 * H)))
        self.reset_parameters()

    def direction(self, x: Tensor, h: Tensor, p: str, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        w_hh, b_hh = getattr(self, "weight_hh" + p), getattr(self, "bias_hh" + p)
        xp = F.linear(x, getattr(self, "weight_ih" + p), getattr(self, "bias_ih" + p))  # (B, T, 2H)
        outs = []
        for t in range(x.shape[1]):
            u, n = (xp[:, t] + F.linear(h, w_hh, b_hh)).chunk(2, 1)  # (B, H) each
            h_new = torch.lerp(h, torch.tanh(n), torch.sigmoid(u))  # (1 − u) h + u ñ
            if mask is not None:
                m = mask[:, t, None]  # (B, 1)
                h = torch.where(m, h_new, h)
                outs.append(h_new * m)
            else:
                h = h_new
                outs.append(h)
        return torch.stack(outs, 1), h  # (B, T, H), (B, H)
'''

JORDAN_RNN = '''

class JordanRNN(LoopedRNN):
    """Jordan's network: the hidden layer reads the input and the previous *output* y_{t−1}.

        h_t = tanh(W_ih x_t + b_ih + W_hh y_{t−1})
        y_t = W_ho h_t + b_ho
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0) -> None:
        super().__init__(input_size, hidden_size, output_size, num_layers, bidirectional, dropout)
        H, O = hidden_size, output_size
        for layer in range(num_layers):
            for sfx in self.suffixes:
                i = self.layer_input_size(layer)
                self.register_parameter(f"weight_ih_l{layer}{sfx}", nn.Parameter(torch.empty(H, i)))
                self.register_parameter(f"bias_ih_l{layer}{sfx}", nn.Parameter(torch.empty(H)))
                self.register_parameter(f"weight_hh_l{layer}{sfx}", nn.Parameter(torch.empty(H, O)))
                self.register_parameter(f"weight_ho_l{layer}{sfx}", nn.Parameter(torch.empty(O, H)))
                self.register_parameter(f"bias_ho_l{layer}{sfx}", nn.Parameter(torch.empty(O)))
        self.reset_parameters()

    def direction(self, x: Tensor, y: Tensor, p: str, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        w_hh, w_ho, b_ho = (getattr(self, n + p) for n in ("weight_hh", "weight_ho", "bias_ho"))
        xp = F.linear(x, getattr(self, "weight_ih" + p), getattr(self, "bias_ih" + p))  # (B, T, H)
        outs = []
        for t in range(x.shape[1]):
            h = torch.tanh(xp[:, t] + F.linear(y, w_hh))  # (B, H)
            y_new = F.linear(h, w_ho, b_ho)  # (B, O)
            if mask is not None:
                m = mask[:, t, None]  # (B, 1)
                y = torch.where(m, y_new, y)
                outs.append(y_new * m)
            else:
                y = y_new
                outs.append(y)
        return torch.stack(outs, 1), y  # (B, T, O), (B, O)
'''

DECODER = '''

class Decoder(nn.Module):
    """Embeds the previous target token and runs a unidirectional cell from a given state."""

    def __init__(self, embed: nn.Embedding, rnn: nn.Module, num_layers: int) -> None:
        super().__init__()
        self.embed, self.rnn, self.num_layers = embed, rnn, num_layers

    def initial_state(self, init: Tensor) -> State:
        """Every layer starts from ``init`` (B, H); an LSTM's cell state starts at zero."""
        h0 = init.unsqueeze(0).expand(self.num_layers, -1, -1).contiguous()  # (L, B, H)
        return (h0, torch.zeros_like(h0)) if isinstance(self.rnn, nn.LSTM) else h0

    def forward(self, tokens: Tensor, state: State) -> tuple[Tensor, State]:
        """tokens (B, T') → outputs (B, T', H) and the next state."""
        return run_rnn(self.rnn, self.embed(tokens), None, state)
'''

ATTENTION = '''

def source_mask(lengths: Tensor | None, memory: Tensor) -> Tensor:
    """(B, T) True at the valid source steps of memory (B, T, M); all True without lengths."""
    B, T = memory.shape[:2]
    if lengths is None or lengths.shape[0] != B:
        return torch.ones(B, T, dtype=torch.bool, device=memory.device)
    return torch.arange(T, device=memory.device).view(1, T) < lengths.to(memory.device).view(B, 1)


def masked_softmax(scores: Tensor, mask: Tensor) -> Tensor:
    """Softmax over the source steps where mask (B, T) holds; exactly 0 elsewhere."""
    valid = mask.unsqueeze(1)  # (B, 1, T)
    weights = torch.softmax(scores.masked_fill(~valid, torch.finfo(scores.dtype).min), -1)
    return weights.masked_fill(~valid, 0.0)


class Attention(nn.Module):
    """Global attention of the decoder's states (B, T', H) over the memory (B, T, M):

        additive  score(h_t, m_s) = vᵀ tanh(W_q h_t + W_m m_s)
        dot       score(h_t, m_s) = h_tᵀ m_s
        general   score(h_t, m_s) = h_tᵀ W_a m_s
        a_t = softmax over the valid s of score(h_t, m_s);  c_t = Σ_s a_ts m_s
        h̃_t = tanh(W_c [c_t; h_t])
    """

    def __init__(self, score: str, query_size: int, memory_size: int) -> None:
        super().__init__()
        self.score = score
        if score == "additive":
            self.w_query = nn.Linear(query_size, query_size)
            self.w_memory = nn.Linear(memory_size, query_size, bias=False)
            self.v = nn.Linear(query_size, 1, bias=False)
        elif score == "general":
            self.w_memory = nn.Linear(memory_size, query_size, bias=False)
        self.combine = nn.Linear(memory_size + query_size, query_size)

    def forward(self, query: Tensor, memory: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """The attentional states (B, T', H) and the weights (B, T', T)."""
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


Memory = tuple[State, Tensor, Tensor]  # an attending decoder's state, the memory (B, T, M) and its mask (B, T)


class AttendingDecoder(Decoder):
    """A decoder whose top-layer states attend over the encoder's steps (the memory)."""

    def __init__(self, embed: nn.Embedding, rnn: nn.Module, num_layers: int, attention: Attention) -> None:
        super().__init__(embed, rnn, num_layers)
        self.attention = attention

    def forward(self, tokens: Tensor, state: State, memory: Tensor, mask: Tensor) -> tuple[Tensor, State, Tensor]:
        """tokens (B, T') → attentional states (B, T', H), the next state and the weights (B, T', T)."""
        out, state = run_rnn(self.rnn, self.embed(tokens), None, state)  # (B, T', H)
        attended, weights = self.attention(out, memory, mask)
        return attended, state, weights
'''
