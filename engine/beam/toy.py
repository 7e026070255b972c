"""A tiny model with the decoding protocol, for tests and benchmarks of the search itself.

``ToyDecoder`` is an encoder-decoder (source tokens → a GRU → the decoder's first state) or, with
``lm=True``, a language model continuing a prompt. Its random weights are scaled up so that the
next-token distributions are far from uniform, which makes exhaustive-search tests meaningful.
``forward`` is the teacher-forced path over whole sequences (fused ``nn.GRU``/``nn.LSTM``), a
different code path from ``decode_step``, so scores can be checked against it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine.vocab import BOS, EOS, PAD


class ToyDecoder(nn.Module):
    def __init__(self, vocab_size: int = 6, src_vocab: int = 8, hidden: int = 8, embed: int = 4,
                 max_len: int = 5, seed: int = 0, scale: float = 2.0, cell: str = "gru", lm: bool = False,
                 eos_bias: float = 0.0) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.cell, self.lm = cell, lm
        self.vocab_size, self.max_len = vocab_size, max_len
        self.bos_id, self.eos_id, self.pad_id = BOS, EOS, PAD
        self.can_decode = True
        self.src_embed = nn.Embedding(src_vocab, embed)
        self.encoder = nn.GRU(embed, hidden, batch_first=True)
        self.bridge = nn.Linear(hidden, hidden)
        self.embed = nn.Embedding(vocab_size, embed)
        self.decoder = rnn(embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab_size)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * scale / max(1.0, p.shape[-1] ** 0.5))
            self.out.bias[EOS] += eos_bias

    # ------------------------------------------------------------------ the protocol
    def _zero(self, B: int, device: torch.device) -> tuple[Tensor, ...]:
        h = torch.zeros(1, B, self.decoder.hidden_size, device=device)
        return (h, torch.zeros_like(h)) if self.cell == "lstm" else (h,)

    def _run(self, tokens: Tensor, state: tuple[Tensor, ...]) -> tuple[Tensor, tuple[Tensor, ...]]:
        hx = state if self.cell == "lstm" else state[0]
        out, h = self.decoder(self.embed(tokens), hx)
        return out, (h if isinstance(h, tuple) else (h,))

    def decode_init(self, x: Tensor, lengths: Tensor | None = None) -> tuple[tuple[Tensor, ...], Tensor]:
        B = x.shape[0]
        if lengths is None:
            lengths = torch.full((B,), x.shape[1], dtype=torch.long, device=x.device)
        if self.lm:  # read the prompt but its last token, one step at a time (respecting lengths)
            state = self._zero(B, x.device)
            for t in range(x.shape[1] - 1):
                _, new = self._run(x[:, t:t + 1], state)
                m = (t < lengths - 1).view(1, -1, 1)
                state = tuple(torch.where(m, n, o) for n, o in zip(new, state))
            return state, x.gather(1, (lengths - 1).view(-1, 1)).view(-1)
        packed = nn.utils.rnn.pack_padded_sequence(self.src_embed(x), lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        _, h = self.encoder(packed)
        h0 = torch.tanh(self.bridge(h[-1])).unsqueeze(0)  # (1, B, H)
        state = (h0, torch.zeros_like(h0)) if self.cell == "lstm" else (h0,)
        return state, torch.full((B,), BOS, dtype=torch.long, device=x.device)

    def decode_step(self, tokens: Tensor, state: tuple[Tensor, ...]) -> tuple[Tensor, tuple[Tensor, ...]]:
        out, state = self._run(tokens.view(-1, 1), state)
        return F.log_softmax(self.out(out[:, 0]), dim=-1), state

    @staticmethod
    def reorder_state(state: tuple[Tensor, ...], index: Tensor) -> tuple[Tensor, ...]:
        return tuple(t.index_select(1, index) for t in state)

    # ------------------------------------------------------------------ teacher forcing
    def forward(self, x: Tensor, lengths: Tensor | None = None, target_in: Tensor | None = None) -> Tensor:
        """Logits (B, T', V) for ``target_in`` (the start token followed by the hypothesis)."""
        state, _ = self.decode_init(x, lengths)
        out, _ = self._run(target_in, state)
        return self.out(out)

    def sequence_logprob(self, x: Tensor, tokens: list[int], lengths: Tensor | None = None) -> float:
        """Teacher-forced sum of log-probabilities of ``tokens`` after the start token (one input)."""
        _, start = self.decode_init(x, lengths)
        target_in = torch.tensor([[int(start[0])] + list(tokens[:-1])], dtype=torch.long, device=x.device)
        with torch.no_grad():
            lp = F.log_softmax(self.forward(x, lengths, target_in), dim=-1)[0]
        return float(lp.gather(1, torch.tensor(tokens, device=x.device).view(-1, 1)).sum())
