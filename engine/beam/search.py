"""Beam search one step at a time, keeping the whole search tree — what the beam explorer drives.

::

    bs = BeamSearch(model, source, beam_width=5, vocab=target_vocab)
    new_nodes = bs.step()        # expand one level; ids of the nodes it added or revived
    bs.tree                      # networkx.DiGraph, one node per hypothesis prefix
    bs.back()                    # undo the last step (or force)
    bs.force(node_id)            # what-if: continue from this hypothesis only
    bs.run(); bs.results         # n-best, best first

Node attributes of :attr:`BeamSearch.tree` (node ids are ints, the root is 0):

============= ===============================================================================
``token``     the token id (the root: the start token, ``<bos>`` or a prompt's last token)
``text``      its text (from ``vocab``; the id as a string without one)
``logprob``   the model's log-probability of the token given its parent (0 at the root)
``score``     cumulative log-probability of the prefix
``norm_score``  ``score / depth ** alpha``: what a finished hypothesis is ranked by
``depth``     tokens generated up to and including this one (root 0)
``parent``    the parent node id (None at the root)
``status``    ``"alive"``: in the beam, or on the path to a hypothesis that is in it or finished;
              ``"finished"``: ends with ``<eos>`` (or reached ``max_len``) and counts as a result;
              ``"pruned"``: never chosen, or its line died out — ``pruned_at`` says in which step
``pruned_at`` the step (1 = the first ``step()``) at which the node fell out, else None
``step``      the step that created the node
``kept``      chosen into the beam (or finished) when it was created
``rank``      its position among its step's candidates (0 = best), None for unchosen candidates
``finished_by``  ``"eos"`` or ``"max_len"`` for a finished hypothesis, else None
``forced``    created or revived by :meth:`BeamSearch.force`
``live``      how many children are alive or finished
``attention`` for an attending decoder: the weights over the source's steps (a list of T floats)
              of the step that scored this token; absent at the root and on forced nodes
============= ===============================================================================

Pruned candidates: for every expanded hypothesis the tree keeps its ``keep_pruned`` best children
(by log-probability; default ``beam_width``) besides the ones chosen, so the explorer can show what
the search rejected. Undo is a log of the node attributes each step changed; ``back()`` then
``step()`` rebuilds the same tree with the same node ids.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import torch

from engine.beam.core import DEFAULT_BANNED, BatchedBeams, Candidate, Hypothesis, InputStep, make_settings, model_device
from engine.beam.inputs import check_batch

_UNSET = object()


@dataclass
class _Frame:
    """Everything one action changed, to undo it."""

    core: tuple
    frontier: list[int | None]
    next_id: int
    added: list[int] = field(default_factory=list)
    changed: list[tuple[int, str, Any]] = field(default_factory=list)
    done: bool = False


class BeamSearch:
    """A beam search over one input, advanced by :meth:`step`, with its search tree in :attr:`tree`.

    ``source`` is one example without the batch dimension, as ``Batch.x[i]``: token ids ``(T,)``
    (a list is fine), a real sequence ``(T, F)``, a vector ``(F,)`` or a class id. ``lengths`` is its
    valid length (an int) or None.
    """

    def __init__(self, model: Any, source: Any, lengths: Any = None, *, beam_width: int = 5,
                 max_len: int | None = None, alpha: float = 0.0, n_best: int | None = None, min_len: int = 0,
                 keep_pruned: int | None = None, vocab: Any = None,
                 banned: Sequence[int] = DEFAULT_BANNED) -> None:
        if not getattr(model, "can_decode", True):
            raise ValueError("this model cannot generate sequences (it needs a decoder, or a causal token "
                             "model with a classifier head over its own vocabulary)")
        self.model, self.vocab = model, vocab
        self.settings = make_settings(model, beam_width, max_len, alpha, n_best, min_len, banned)
        self.keep_pruned = self.settings.beam_width if keep_pruned is None else max(0, int(keep_pruned))
        device = model_device(model)
        x = source
        if not isinstance(x, torch.Tensor):
            integer = getattr(model, "input_kind", "token_input") in ("token_input", "class_input")
            try:
                x = torch.as_tensor(source, dtype=torch.long if integer else torch.float32)
            except (TypeError, ValueError, RuntimeError, OverflowError) as exc:
                raise ValueError(f"source: expected one example as a tensor or a list of numbers ({exc})") from None
        self.source = x
        if lengths is not None and (isinstance(lengths, bool) or not isinstance(lengths, (int, torch.Tensor))
                                    and not hasattr(lengths, "__index__")):
            raise ValueError(f"lengths: expected the example's length as a whole number, got {lengths!r}")
        batch, lens = check_batch(model, x.unsqueeze(0), None if lengths is None else [int(lengths)],
                                  name="source", single=True)
        self._core = BatchedBeams(model, batch.to(device), None if lens is None else lens.to(device), self.settings)
        self.tree = nx.DiGraph()
        self._child: dict[tuple[int, int], int] = {}
        self._next_id = 0
        self._history: list[_Frame] = []
        self._frame: _Frame | None = None
        self._done = False
        start = self._core.start[0]
        self.root = self._add(None, start, 0.0, 0.0, 0, "alive", kept=True, rank=0)
        self._frontier: list[int | None] = [self.root] + [None] * (self.settings.beam_width - 1)

    # ------------------------------------------------------------------ queries
    @property
    def done(self) -> bool:
        return self._done

    @property
    def steps(self) -> int:
        """How many actions (steps and forces) brought the search here."""
        return len(self._history)

    @property
    def depth(self) -> int:
        """Tokens generated so far by the hypotheses in the beam."""
        return self._core.t

    @property
    def beam(self) -> list[int]:
        """The hypotheses in the beam, best first (empty once done)."""
        return [n for n in self._frontier if n is not None]

    @property
    def results(self) -> list[Hypothesis]:
        """The n-best finished hypotheses, best score first (those found so far until done)."""
        out = []
        for h in self._core.results(0):
            node = self.node_of(h.tokens)
            out.append(Hypothesis(h.tokens, h.token_logprobs, h.logprob, h.score, h.finished_by, node))
        return out

    def node_of(self, tokens: Sequence[int]) -> int | None:
        """The node reached from the root by ``tokens``, or None when the tree has no such path."""
        node: int | None = self.root
        for t in tokens:
            node = self._child.get((node, int(t)))  # type: ignore[arg-type]
            if node is None:
                return None
        return node

    def path(self, node: int) -> list[int]:
        """The tokens from the root (exclusive) to ``node`` (inclusive)."""
        toks = []
        while node != self.root:
            toks.append(self.tree.nodes[node]["token"])
            node = self.tree.nodes[node]["parent"]
        return toks[::-1]

    def text(self, node: int) -> str:
        toks = self.path(node)
        if self.vocab is not None:
            return self.vocab.decode(toks)
        return " ".join(map(str, toks))

    # ------------------------------------------------------------------ actions
    def step(self) -> list[int]:
        """Expand the beam by one token; returns the ids of the nodes added (or revived) in the tree."""
        if self._done:
            return []
        frame = self._begin()
        number = self.steps  # this step's number (1-based)
        recs = self._core.step(record=True, children=self.keep_pruned)
        rec: InputStep = recs[0]
        weights = getattr(self.model, "last_attention", None)  # (K, T): each parent slot's step
        attention = None if weights is None else weights.detach().float().cpu().tolist()
        frontier = self._frontier
        touched: list[int] = []
        seen: set[int] = set()

        def child(c: Candidate, status: str, how: str | None = None) -> int:
            parent = frontier[c.slot]
            node = self._put(parent, c.token, c.logprob, c.score, status, number, kept=True, rank=c.rank,
                             finished_by=how)
            if attention is not None:
                self._set(node, attention=attention[c.slot])
            touched.append(node)
            seen.add(node)
            return node

        new_frontier: list[int | None] = [child(c, "alive") for c in rec.alive]
        for c in rec.finished:  # an <eos> finishes by eos; any other token reached max_len
            child(c, "finished", "eos" if c.token == self.settings.eos else "max_len")
        dropped = [child(c, "alive") for c in rec.dropped]
        for slot in rec.parents:
            parent = frontier[slot]
            score0 = rec.parent_scores[slot]
            for tok, lp in rec.children.get(slot, []):
                node = self._child.get((parent, tok))  # type: ignore[arg-type]
                if node is not None and node in seen:
                    continue
                node = self._put(parent, tok, lp, score0 + lp, "pruned", number, kept=False, rank=None,
                                 pruned_at=number)
                if attention is not None:
                    self._set(node, attention=attention[slot])
                touched.append(node)
                seen.add(node)
        # the expanded hypotheses leave the beam; those without a surviving child die out
        self._frontier = new_frontier + [None] * (self.settings.beam_width - len(new_frontier))
        for slot in rec.parents:
            self._settle(frontier[slot], number)
        for node in dropped:
            self._prune(node, number)
        self._done = frame.done = self._core.all_done
        return touched

    def run(self, max_steps: int | None = None) -> list[Hypothesis]:
        """Step until done (or ``max_steps`` steps); returns :attr:`results`."""
        n = 0
        while not self._done and (max_steps is None or n < max_steps):
            self.step()
            n += 1
        return self.results

    def back(self) -> bool:
        """Undo the last :meth:`step` or :meth:`force`; False when there is nothing to undo."""
        if not self._history:
            return False
        frame = self._history.pop()
        for node, key, old in reversed(frame.changed):
            self.tree.nodes[node][key] = old
        for node in reversed(frame.added):
            attrs = self.tree.nodes[node]
            self._child.pop((attrs["parent"], attrs["token"]), None)
            self.tree.remove_node(node)
        self._core.restore(frame.core)
        self._frontier = frame.frontier
        self._next_id = frame.next_id
        self._done = self._history[-1].done if self._history else False
        return True

    def reset(self) -> None:
        """Back to the root, as constructed."""
        while self.back():
            pass

    def force(self, prefix: int | Sequence[int]) -> list[int]:
        """Continue only from ``prefix``: a node id of the tree, or a sequence of token ids.

        The beam becomes that single hypothesis (scored by the model, teacher-forced), the results
        found so far are set aside (their nodes become pruned at this step), and the following
        steps search onward from it. Returns the nodes on the prefix's path that this added or revived.
        """
        if isinstance(prefix, int) and not isinstance(prefix, bool):
            if prefix not in self.tree:
                raise ValueError(f"no node {prefix} in the search tree")
            tokens = self.path(prefix)
        else:
            tokens = [int(t) for t in (prefix.tolist() if isinstance(prefix, torch.Tensor) else prefix)]
        frame = self._begin()
        number = self.steps
        try:
            lps = self._core.force(tokens)
        except ValueError:
            self._history.pop()
            self._frame = None
            raise
        # the path, alive from the root down (revived where it had died out)
        node, score, touched, on_path = self.root, 0.0, [], {self.root}
        self._revive(self.root)
        for _i, (tok, lp) in enumerate(zip(tokens, lps)):
            score += lp
            existing = self._child.get((node, tok))
            if existing is None:
                node = self._put(node, tok, lp, score, "alive", number, kept=True, rank=0, forced=True)
                touched.append(node)
            else:
                node = existing
                if self.tree.nodes[node]["status"] != "alive":
                    touched.append(node)
                self._set(node, forced=True)
                self._revive(node)
            on_path.add(node)
        ended = bool(self._core.all_done)
        if ended and tokens:
            how = "eos" if tokens[-1] == self.settings.eos else "max_len"
            self._set(node, status="finished", finished_by=how, pruned_at=None)
        self._frontier = ([None] if ended else [node]) + [None] * (self.settings.beam_width - 1)
        # everything else that was alive or finished falls out now
        for n, attrs in list(self.tree.nodes(data=True)):
            if n not in on_path and attrs["status"] != "pruned" and attrs["live"] == 0:
                self._prune(n, number)
        self._done = frame.done = ended
        return touched

    # ------------------------------------------------------------------ tree bookkeeping
    def _begin(self) -> _Frame:
        frame = _Frame(self._core.snapshot(), list(self._frontier), self._next_id)
        self._history.append(frame)
        self._frame = frame
        return frame

    def _set(self, node: int, **attrs: Any) -> None:
        data = self.tree.nodes[node]
        for key, value in attrs.items():
            old = data.get(key, _UNSET)
            if old is value or old == value:
                continue
            if self._frame is not None:
                self._frame.changed.append((node, key, None if old is _UNSET else old))
            data[key] = value

    def _text(self, token: int) -> str:
        if self.vocab is not None:
            return self.vocab.token(token)
        return str(token)

    def _add(self, parent: int | None, token: int, logprob: float, score: float, step: int, status: str,
             kept: bool, rank: int | None, finished_by: str | None = None, pruned_at: int | None = None,
             forced: bool = False) -> int:
        node = self._next_id
        self._next_id += 1
        depth = 0 if parent is None else self.tree.nodes[parent]["depth"] + 1
        self.tree.add_node(node, token=int(token), text=self._text(int(token)), logprob=float(logprob),
                           score=float(score), norm_score=self.settings.normalise(float(score), depth) if depth else 0.0,
                           depth=depth, parent=parent, status=status, pruned_at=pruned_at, step=step, kept=kept,
                           rank=rank, finished_by=finished_by, forced=forced, live=0)
        if parent is not None:
            self.tree.add_edge(parent, node)
            self._child[(parent, int(token))] = node
            if status != "pruned":
                self._set(parent, live=self.tree.nodes[parent]["live"] + 1)
        if self._frame is not None:
            self._frame.added.append(node)
        return node

    def _put(self, parent: int | None, token: int, logprob: float, score: float, status: str, step: int,
             kept: bool, rank: int | None, finished_by: str | None = None, pruned_at: int | None = None,
             forced: bool = False) -> int:
        """Add the child ``token`` of ``parent``, or update it when the tree has it already (after a force)."""
        node = self._child.get((parent, int(token)))  # type: ignore[arg-type]
        if node is None:
            return self._add(parent, token, logprob, score, step, status, kept, rank, finished_by, pruned_at, forced)
        was_live = self.tree.nodes[node]["status"] != "pruned"
        self._set(node, status=status, logprob=float(logprob), score=float(score),
                  norm_score=self.settings.normalise(float(score), self.tree.nodes[node]["depth"]),
                  step=step, kept=kept, rank=rank, finished_by=finished_by, pruned_at=pruned_at)
        now_live = status != "pruned"
        if parent is not None and was_live != now_live:
            self._set(parent, live=self.tree.nodes[parent]["live"] + (1 if now_live else -1))
        return node

    def _settle(self, node: int | None, number: int) -> None:
        """An expanded hypothesis with no surviving child is pruned (and its line, upwards)."""
        if node is not None and self.tree.nodes[node]["live"] == 0 and self.tree.nodes[node]["status"] == "alive":
            self._prune(node, number)

    def _prune(self, node: int, number: int) -> None:
        while node is not None:
            data = self.tree.nodes[node]
            if data["status"] == "pruned":
                return
            self._set(node, status="pruned", pruned_at=number)
            parent = data["parent"]
            if parent is None:
                return
            pdata = self.tree.nodes[parent]
            self._set(parent, live=pdata["live"] - 1)
            if pdata["live"] > 0 or pdata["status"] != "alive" or parent in self._frontier:
                return
            node = parent

    def _revive(self, node: int) -> None:
        data = self.tree.nodes[node]
        if data["status"] != "pruned":
            if data["status"] == "finished":
                self._set(node, status="alive", finished_by=None)
            return
        self._set(node, status="alive", pruned_at=None)
        parent = data["parent"]
        if parent is not None:
            self._set(parent, live=self.tree.nodes[parent]["live"] + 1)

    # ------------------------------------------------------------------ export
    def to_dict(self) -> dict[str, Any]:
        from engine.beam.export import tree_to_dict

        return tree_to_dict(self)

    def save(self, path: Any) -> None:
        """Write the tree as JSON (``.json``) or Graphviz DOT (``.dot``/``.gv``)."""
        from engine.beam.export import save_tree

        save_tree(self, path)
