"""Batched beam search and greedy decoding over any model with the decoding protocol.

The protocol (docs/internals.md, "The compiled model")::

    state, start = model.decode_init(x, lengths)        # the encoder / prompt runs once
    log_probs, state = model.decode_step(tokens, state)  # tokens (N,) → (N, V)
    state = model.reorder_state(state, index)            # index_select on dim 1 of every tensor

How the search goes (the way fairseq's ``BeamSearch`` does it): every input keeps ``beam_width``
slots, and all slots of all inputs form one batch of N = inputs × β rows. Per step one ``topk``
over the β×V cumulative scores of each input picks 2β candidates; an ``<eos>`` candidate among the
first β finishes a hypothesis, and the best β candidates that are not ``<eos>`` form the next beam.
The state follows the chosen parents with one ``reorder_state`` call, which also drops the rows of
inputs that are done — so finished work costs nothing. An input is done once it has collected
``max(beam_width, n_best)`` finished hypotheses, when no hypothesis is left, or at ``max_len``,
where the hypotheses still alive finish unterminated (``finished_by == "max_len"``).

Scores: ``logprob`` is the sum of the model's log-probabilities of the generated tokens, ``<eos>``
included; ``score = logprob / len(tokens) ** alpha`` ranks finished hypotheses (length
normalisation as in fairseq's ``lenpen``; ``alpha = 0`` is the plain sum). Hypotheses in the beam
are ranked by ``logprob``. ``<pad>`` and ``<bos>`` are never generated (``banned``), and ``<eos>``
not before ``min_len`` tokens.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from engine.beam.inputs import check_banned, check_batch
from engine.vocab import BOS, PAD

NEG_INF = float("-inf")
DEFAULT_BANNED: tuple[int, ...] = (PAD, BOS)
MAX_LEN = 10_000  # tokens; a longer search is a mistake (each step runs the model), and would not end soon


@dataclass(frozen=True)
class Hypothesis:
    """One finished hypothesis: the generated tokens after the start token, and their scores."""

    tokens: tuple[int, ...]  # ends with <eos> when finished_by == "eos"
    token_logprobs: tuple[float, ...]
    logprob: float  # sum of token_logprobs
    score: float  # logprob / len(tokens) ** alpha: what the n-best list is sorted by
    finished_by: str = "eos"  # "eos" | "max_len"
    node: int | None = None  # the tree node that ends it (BeamSearch only)

    def text(self, vocab: Any) -> str:
        """The tokens as text with ``vocab`` (an :class:`engine.vocab.Vocab`), ``<eos>`` stripped."""
        return vocab.decode(self.tokens)

    def to_dict(self, vocab: Any = None) -> dict[str, Any]:
        d = {"tokens": list(self.tokens), "token_logprobs": list(self.token_logprobs),
             "logprob": self.logprob, "score": self.score, "finished_by": self.finished_by}
        if self.node is not None:
            d["node"] = self.node
        if vocab is not None:
            d["text"] = self.text(vocab)
        return d


@dataclass(frozen=True)
class SearchSettings:
    beam_width: int
    max_len: int
    alpha: float = 0.0
    n_best: int = 1
    min_len: int = 0
    banned: tuple[int, ...] = DEFAULT_BANNED
    eos: int = 2

    @property
    def target(self) -> int:
        """How many finished hypotheses end an input's search."""
        return max(self.beam_width, self.n_best)

    def normalise(self, logprob: float, length: int) -> float:
        return logprob / (max(length, 1) ** self.alpha) if self.alpha else logprob


def make_settings(model: Any, beam_width: int = 5, max_len: int | None = None, alpha: float = 0.0,
                  n_best: int | None = None, min_len: int = 0,
                  banned: Sequence[int] = DEFAULT_BANNED) -> SearchSettings:
    """Validated settings; ``max_len`` defaults to ``model.max_len``, ``n_best`` to ``beam_width``."""
    beam_width = int(beam_width)
    if beam_width < 1:
        raise ValueError(f"beam width must be at least 1, got {beam_width}")
    max_len = int(max_len if max_len is not None else model.max_len)
    if not 1 <= max_len <= MAX_LEN:
        raise ValueError(f"max_len: the maximum length must be between 1 and {MAX_LEN:,}, got {max_len}")
    n_best = beam_width if n_best is None else int(n_best)
    if n_best < 1:
        raise ValueError(f"n-best must be at least 1, got {n_best}")
    min_len = int(min_len)
    if not 0 <= min_len < max_len:
        raise ValueError(f"minimum length must be between 0 and max length − 1 ({max_len - 1}), got {min_len}")
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):
        raise ValueError(f"alpha: length normalisation must be a number, got {alpha!r}") from None
    if not (0 <= alpha < float("inf")):
        raise ValueError(f"alpha: length normalisation must be a finite number ≥ 0, got {alpha}")
    check_banned(model, banned)
    eos = int(model.eos_id)
    banned = tuple(sorted({int(b) for b in banned if int(b) != eos}))
    return SearchSettings(beam_width, max_len, float(alpha), n_best, min_len, banned, eos)


@contextlib.contextmanager
def eval_mode(model: Any) -> Iterator[None]:
    """Dropout off while decoding, the caller's training mode restored afterwards; no autograd."""
    was_training = bool(getattr(model, "training", False))
    if isinstance(model, nn.Module) and was_training:
        model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        if isinstance(model, nn.Module) and was_training:
            model.train()


def _finite(x: float) -> bool:
    return x != NEG_INF and x == x


@dataclass
class Candidate:
    """One expansion chosen in a step: parent slot, token, its log-prob, the new cumulative score."""

    slot: int
    token: int
    logprob: float
    score: float
    rank: int  # position among the step's candidates of this input, 0 = best


@dataclass
class InputStep:
    """What one step did to one input (the tree of :class:`BeamSearch` is built from this)."""

    input: int  # index into the original batch
    parents: list[int]  # slots that were expanded (finite score before the step)
    parent_scores: list[float]  # their cumulative score, by slot
    alive: list[Candidate] = field(default_factory=list)  # the next beam, best first (slot i = alive[i])
    finished: list[Candidate] = field(default_factory=list)  # finished this step (<eos> or max_len)
    dropped: list[Candidate] = field(default_factory=list)  # chosen, but the input is done
    children: dict[int, list[tuple[int, float]]] = field(default_factory=dict)  # slot → best (token, lp)
    done: bool = False


class BatchedBeams:
    """The search state of every input of a batch; :meth:`step` advances all by one token.

    Everything the search needs to go back lives in :meth:`snapshot` — tensors are never modified in
    place, so a snapshot is a handful of references.
    """

    def __init__(self, model: Any, x: Tensor, lengths: Tensor | None, settings: SearchSettings) -> None:
        self.model, self.s = model, settings
        with eval_mode(model):
            state, start = model.decode_init(x, lengths)
        start = start.view(-1)
        self.device = start.device
        self.B = B = int(start.shape[0])
        self.start = start.tolist()
        self._init = (state, start)  # kept for force()
        self._banned = torch.tensor(settings.banned, dtype=torch.long, device=self.device) if settings.banned else None
        K = settings.beam_width
        index = torch.arange(B, device=self.device).repeat_interleave(K)
        with eval_mode(model):
            self.state = model.reorder_state(state, index)
        self.tokens = start.index_select(0, index)
        cum = torch.full((B, K), NEG_INF)
        cum[:, 0] = 0.0
        self.cum = cum.to(self.device)  # (A, K) cumulative log-prob of each slot; -inf = empty slot
        self.hist = torch.zeros(B * K, 0, dtype=torch.long)  # (A·K, t) generated tokens, on the CPU
        self.hist_lp = torch.zeros(B * K, 0)  # (A·K, t) their log-probs, on the CPU
        self.active: list[int] = list(range(B))  # original input index of each active row block
        self.t = 0  # tokens generated so far
        self.finished: list[list[Hypothesis]] = [[] for _ in range(B)]
        self.done = [False] * B

    # ------------------------------------------------------------------ undo support
    def snapshot(self) -> tuple:
        return (self.state, self.tokens, self.cum, self.hist, self.hist_lp, list(self.active), self.t,
                [list(f) for f in self.finished], list(self.done))

    def restore(self, snap: tuple) -> None:
        (self.state, self.tokens, self.cum, self.hist, self.hist_lp, active, self.t, finished, done) = snap
        self.active, self.finished, self.done = list(active), [list(f) for f in finished], list(done)

    @property
    def all_done(self) -> bool:
        return not self.active

    def results(self, b: int) -> list[Hypothesis]:
        """Input ``b``'s finished hypotheses, best score first (stable: earlier finds win ties)."""
        return sorted(self.finished[b], key=lambda h: -h.score)[: self.s.n_best]

    # ------------------------------------------------------------------ one step
    def step(self, record: bool = False, children: int = 0) -> list[InputStep]:
        """Expand every active input by one token. With ``record``, returns what happened to each
        input (an :class:`InputStep`), and with ``children`` > 0 each expanded hypothesis's best
        ``children`` continuations (for the tree of pruned candidates); else an empty list."""
        if not self.active:
            return []
        s, K, A = self.s, self.s.beam_width, len(self.active)
        with eval_mode(self.model):
            lp, state = self.model.decode_step(self.tokens, self.state)
        lp = lp.float()
        V = lp.shape[-1]
        if self._banned is not None:
            lp = lp.index_fill(1, self._banned, NEG_INF)
        if self.t < s.min_len:
            lp = lp.index_fill(1, torch.tensor([s.eos], device=lp.device), NEG_INF)
        cand = (self.cum.view(-1, 1) + lp).view(A, K * V)
        k2 = min(2 * K, K * V)
        top_s, top_i = cand.topk(k2, dim=1)  # (A, 2K), best first
        top_lp = lp.view(A, K * V).gather(1, top_i)
        kids = None
        if record and children > 0:
            kv, ki = lp.topk(min(children, V), dim=1)
            kids = (kv.cpu(), ki.cpu())
        prev_cum = self.cum.cpu() if record else None
        top_s, top_i, top_lp = top_s.cpu(), top_i.cpu(), top_lp.cpu()
        par, tok = top_i // V, top_i % V
        is_eos = (tok == s.eos) & torch.isfinite(top_s)
        rank = torch.arange(k2)
        alive_pos = (is_eos.long() * k2 + rank).topk(K, dim=1, largest=False).indices  # first K non-<eos>
        a_s, a_par, a_tok = top_s.gather(1, alive_pos), par.gather(1, alive_pos), tok.gather(1, alive_pos)
        a_lp = top_lp.gather(1, alive_pos)
        last = self.t + 1 >= s.max_len

        records: list[InputStep] = []
        keep: list[int] = []
        hist, hist_lp = self.hist, self.hist_lp
        S, LP, P, TK, AP = top_s.tolist(), top_lp.tolist(), par.tolist(), tok.tolist(), alive_pos.tolist()
        PC = prev_cum.tolist() if record else None
        eos, target = s.eos, s.target
        for a in range(A):
            b = self.active[a]
            Sa, LPa, Pa, TKa = S[a], LP[a], P[a], TK[a]
            rec = None
            if PC is not None:
                pc = PC[a]
                rec = InputStep(b, [k for k in range(K) if _finite(pc[k])], pc)
                records.append(rec)
                if kids is not None:
                    for k in rec.parents:
                        row = a * K + k
                        rec.children[k] = [(t, v) for t, v in zip(kids[1][row].tolist(), kids[0][row].tolist())
                                           if _finite(v)]
            for r in range(min(K, k2)):  # an <eos> among the first β candidates finishes a hypothesis
                if TKa[r] == eos and _finite(Sa[r]):
                    c = Candidate(Pa[r], eos, LPa[r], Sa[r], r)
                    self._finish(b, a * K + c.slot, c, "eos")
                    if rec is not None:
                        rec.finished.append(c)
            alive_r = [r for r in AP[a] if _finite(Sa[r])]
            if last:  # at max_len the hypotheses still alive finish unterminated
                for r in alive_r:
                    c = Candidate(Pa[r], TKa[r], LPa[r], Sa[r], r)
                    self._finish(b, a * K + c.slot, c, "max_len")
                    if rec is not None:
                        rec.finished.append(c)
                alive_r = []
            done = last or not alive_r or len(self.finished[b]) >= target
            if rec is not None:
                chosen = [Candidate(Pa[r], TKa[r], LPa[r], Sa[r], r) for r in alive_r]
                if done:
                    rec.dropped = chosen
                else:
                    rec.alive = chosen
                rec.done = done
            if done:
                self.done[b] = True
            else:
                keep.append(a)

        self.t += 1
        if not keep:
            self.active, self.state = [], None
            return records
        keep_t = torch.tensor(keep, dtype=torch.long)
        rows = (keep_t.view(-1, 1) * K + a_par.index_select(0, keep_t)).view(-1)  # (A'·K,) parent rows
        new_tok = a_tok.index_select(0, keep_t)  # (A', K)
        self.hist = torch.cat([hist.index_select(0, rows), new_tok.view(-1, 1)], 1)
        self.hist_lp = torch.cat([hist_lp.index_select(0, rows), a_lp.index_select(0, keep_t).view(-1, 1)], 1)
        self.cum = a_s.index_select(0, keep_t).to(self.device)
        self.tokens = new_tok.view(-1).to(self.device)
        with eval_mode(self.model):
            self.state = self.model.reorder_state(state, rows.to(self.device))
        self.active = [self.active[a] for a in keep]
        return records

    def _finish(self, b: int, row: int, c: Candidate, how: str) -> None:
        toks = tuple(self.hist[row].tolist()) + (c.token,)
        lps = tuple(self.hist_lp[row].tolist()) + (c.logprob,)
        self.finished[b].append(Hypothesis(toks, lps, c.score, self.s.normalise(c.score, len(toks)), how))

    def run(self) -> list[list[Hypothesis]]:
        while self.active:
            self.step()
        return [self.results(b) for b in range(self.B)]

    # ------------------------------------------------------------------ what-if
    def force(self, prefix: Sequence[int]) -> list[float]:
        """Restart input 0 (a batch of one) from the single hypothesis ``prefix``; returns the
        token log-probs of the prefix. A prefix ending in ``<eos>`` or as long as ``max_len``
        finishes at once."""
        if self.B != 1:
            raise ValueError("force() needs a search over a single input")
        s, K = self.s, self.s.beam_width
        state, start = self._init
        prefix = [int(t) for t in prefix]
        if len(prefix) > s.max_len:
            raise ValueError(f"the forced prefix has {len(prefix)} tokens, more than the maximum length {s.max_len}")
        if s.eos in prefix[:-1]:
            raise ValueError("the forced prefix has <eos> before its end")
        if prefix and prefix[-1] == s.eos and len(prefix) - 1 < s.min_len:
            raise ValueError(f"prefix: it ends with <eos> after {len(prefix) - 1} tokens, but min_len is {s.min_len}; "
                             "force a longer prefix or search with a smaller min_len")
        V = int(getattr(self.model, "vocab_size", 0) or 0)
        if V and any(not 0 <= t < V for t in prefix):
            raise ValueError(f"the forced prefix has a token id outside the vocabulary (0 to {V - 1})")
        lps: list[float] = []
        tok = start
        with eval_mode(self.model):
            for t in prefix:
                lp, state = self.model.decode_step(tok, state)
                lps.append(float(lp[0, t]))
                tok = torch.tensor([t], dtype=torch.long, device=self.device)
        total = float(torch.tensor(lps, dtype=torch.float32).sum()) if lps else 0.0
        self.finished = [[]]
        self.t = len(prefix)
        if prefix and (prefix[-1] == s.eos or len(prefix) >= s.max_len):
            how = "eos" if prefix[-1] == s.eos else "max_len"
            self.finished[0].append(Hypothesis(tuple(prefix), tuple(lps), total,
                                               s.normalise(total, len(prefix)), how))
            self.active, self.state, self.done = [], None, [True]
            return lps
        index = torch.zeros(K, dtype=torch.long, device=self.device)
        with eval_mode(self.model):
            self.state = self.model.reorder_state(state, index)
        self.tokens = tok.view(-1).index_select(0, index)
        cum = torch.full((1, K), NEG_INF)
        cum[0, 0] = total
        self.cum = cum.to(self.device)
        self.hist = torch.tensor([prefix] * K, dtype=torch.long).view(K, len(prefix))
        self.hist_lp = torch.tensor([lps] * K, dtype=torch.float32).view(K, len(prefix))
        self.active, self.done = [0], [False]
        return lps


# ---------------------------------------------------------------------- the one-call API
def _lengths(lengths: Any, device: torch.device) -> Tensor | None:
    if lengths is None:
        return None
    return torch.as_tensor(lengths, dtype=torch.long).view(-1).to(device)


def model_device(model: Any) -> torch.device:
    try:
        return next(iter(model.parameters())).device
    except (AttributeError, StopIteration):
        return torch.device("cpu")


def beam_search(model: Any, x: Tensor, lengths: Tensor | None = None, *, beam_width: int = 5,
                max_len: int | None = None, alpha: float = 0.0, n_best: int | None = None, min_len: int = 0,
                banned: Sequence[int] = DEFAULT_BANNED) -> list[list[Hypothesis]]:
    """Beam search for every input of the batch ``x`` at once; per input its n-best, best first."""
    settings = make_settings(model, beam_width, max_len, alpha, n_best, min_len, banned)
    device = model_device(model)
    x, lengths = check_batch(model, x, lengths)
    return BatchedBeams(model, x.to(device), _lengths(lengths, device), settings).run()


def greedy_search(model: Any, x: Tensor, lengths: Tensor | None = None, *, max_len: int | None = None,
                  min_len: int = 0, banned: Sequence[int] = DEFAULT_BANNED) -> list[Hypothesis]:
    """The most probable token at every step, for every input of ``x``; one hypothesis each.

    Written independently of the beam (a plain argmax loop) so that tests can compare the two.
    """
    s = make_settings(model, 1, max_len, 0.0, 1, min_len, banned)
    device = model_device(model)
    x, lengths = check_batch(model, x, lengths)
    with eval_mode(model):
        state, tok = model.decode_init(x.to(device), _lengths(lengths, device))
        B = tok.shape[0]
        toks: list[list[int]] = [[] for _ in range(B)]
        lps: list[list[float]] = [[] for _ in range(B)]
        running = list(range(B))
        for t in range(s.max_len):
            lp, state = model.decode_step(tok, state)
            lp = lp.float().clone()
            if s.banned:
                lp[:, list(s.banned)] = NEG_INF
            if t < s.min_len:
                lp[:, s.eos] = NEG_INF
            best_lp, tok = lp.max(-1)
            keep = []
            for i, (b, tk, v) in enumerate(zip(running, tok.tolist(), best_lp.tolist())):
                toks[b].append(tk)
                lps[b].append(v)
                if tk != s.eos:
                    keep.append(i)
            if not keep:
                break
            if len(keep) < len(running):
                index = torch.tensor(keep, dtype=torch.long, device=tok.device)
                state, tok = model.reorder_state(state, index), tok.index_select(0, index)
                running = [running[i] for i in keep]
    out = []
    for b in range(B):
        total = float(torch.tensor(lps[b], dtype=torch.float32).sum())
        how = "eos" if toks[b] and toks[b][-1] == s.eos else "max_len"
        out.append(Hypothesis(tuple(toks[b]), tuple(lps[b]), total, total, how))
    return out
