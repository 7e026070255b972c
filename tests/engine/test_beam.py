"""Beam search on a tiny random decoder with the decoding protocol (engine.beam.toy.ToyDecoder)."""
from __future__ import annotations

import itertools
import json
import math

import pytest
import torch

from engine.beam import BeamSearch, beam_search, greedy_search, tree_to_dict, tree_to_dot
from engine.beam.toy import ToyDecoder
from engine.vocab import BOS, EOS, PAD, Vocab

VOCAB = Vocab(["a", "b"])  # 6 ids: <pad> <bos> <eos> <unk> a b


def _source(seed: int, B: int = 1, T: int = 5, src_vocab: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(4, src_vocab, (B, T), generator=g)
    lengths = torch.randint(2, T + 1, (B,), generator=g)
    lengths[0] = T
    x = x.masked_fill(torch.arange(T) >= lengths.view(-1, 1), PAD)
    return x, lengths


def _all_sequences(V: int, L: int, min_len: int = 0, banned=(PAD, BOS)):
    """Every sequence a search of max length L may return: k < L free tokens then <eos>, or L free tokens."""
    free = [t for t in range(V) if t not in banned and t != EOS]
    for k in range(min_len, L):
        for body in itertools.product(free, repeat=k):
            yield (*body, EOS)
    for body in itertools.product(free, repeat=L):
        yield body


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("alpha", [0.0, 0.8])
def test_beam_width_one_is_greedy(seed, alpha):
    model = ToyDecoder(vocab_size=7, max_len=8, seed=seed, eos_bias=-1.0)
    x, lengths = _source(seed, B=4)
    greedy = greedy_search(model, x, lengths)
    beams = beam_search(model, x, lengths, beam_width=1, alpha=alpha)
    for g, hs in zip(greedy, beams):
        assert len(hs) == 1
        assert hs[0].tokens == g.tokens
        assert hs[0].logprob == pytest.approx(g.logprob, abs=1e-5)
        assert hs[0].finished_by == g.finished_by
    one = BeamSearch(model, x[0], int(lengths[0]), beam_width=1, alpha=alpha).run()
    assert one[0].tokens == greedy[0].tokens


@pytest.mark.parametrize("seed", range(4))
def test_greedy_with_min_len(seed):
    model = ToyDecoder(vocab_size=6, max_len=6, seed=seed, eos_bias=2.0)
    x, lengths = _source(seed, B=3)
    for g, hs in zip(greedy_search(model, x, lengths, min_len=3), beam_search(model, x, lengths, beam_width=1, min_len=3)):
        assert hs[0].tokens == g.tokens
        assert EOS not in g.tokens[:3]


@pytest.mark.parametrize("seed,alpha,min_len", [(0, 0.0, 0), (1, 0.0, 0), (2, 1.0, 0), (3, 0.6, 0), (4, 0.0, 2),
                                                (5, 1.0, 1)])
def test_huge_beam_equals_exhaustive_search(seed, alpha, min_len):
    V, L = 6, 4
    model = ToyDecoder(vocab_size=V, max_len=L, seed=seed, eos_bias=0.5)
    x, lengths = _source(seed)
    scored = []
    for seq in _all_sequences(V, L, min_len):
        lp = model.sequence_logprob(x, list(seq), lengths)
        scored.append((lp / len(seq) ** alpha, seq))
    scored.sort(key=lambda s: -s[0])
    width = V ** L
    (hyps,) = beam_search(model, x, lengths, beam_width=width, n_best=10, alpha=alpha, min_len=min_len)
    assert hyps[0].tokens == scored[0][1]
    assert hyps[0].score == pytest.approx(scored[0][0], abs=1e-5)
    assert [h.score for h in hyps] == pytest.approx([s for s, _ in scored[:10]], abs=1e-5)
    # the stepwise search with its tree agrees
    bs = BeamSearch(model, x[0], int(lengths[0]), beam_width=width, n_best=10, alpha=alpha, min_len=min_len,
                    keep_pruned=0)
    assert bs.run()[0].tokens == scored[0][1]


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("alpha", [0.0, 0.7])
def test_scores_equal_teacher_forced_recomputation(cell, alpha):
    model = ToyDecoder(vocab_size=9, max_len=7, seed=3, cell=cell, hidden=16)
    x, lengths = _source(7, B=5)
    results = beam_search(model, x, lengths, beam_width=4, alpha=alpha, n_best=4)
    for b, hyps in enumerate(results):
        assert 1 <= len(hyps) <= 4
        assert [h.score for h in hyps] == sorted((h.score for h in hyps), reverse=True)
        for h in hyps:
            tf = model.sequence_logprob(x[b:b + 1, : int(lengths[b])], list(h.tokens), lengths[b:b + 1])
            assert h.logprob == pytest.approx(tf, abs=1e-5)
            assert sum(h.token_logprobs) == pytest.approx(h.logprob, abs=1e-5)
            assert h.score == pytest.approx(h.logprob / len(h.tokens) ** alpha, abs=1e-6)
            assert (h.finished_by == "eos") == (h.tokens[-1] == EOS)
            assert EOS not in h.tokens[:-1] and PAD not in h.tokens and BOS not in h.tokens


@pytest.mark.parametrize("beam_width", [1, 3, 5])
def test_batch_equals_each_input_alone(beam_width):
    model = ToyDecoder(vocab_size=8, max_len=9, seed=11, hidden=12, eos_bias=-0.5)
    x, lengths = _source(5, B=7, T=6)
    batched = beam_search(model, x, lengths, beam_width=beam_width, n_best=beam_width, alpha=0.5)
    for b in range(x.shape[0]):
        alone = beam_search(model, x[b:b + 1, : int(lengths[b])], None, beam_width=beam_width, n_best=beam_width,
                            alpha=0.5)[0]
        assert [h.tokens for h in alone] == [h.tokens for h in batched[b]]
        assert [h.score for h in alone] == pytest.approx([h.score for h in batched[b]], abs=1e-5)
        stepwise = BeamSearch(model, x[b], int(lengths[b]), beam_width=beam_width, alpha=0.5).run()
        assert [h.tokens for h in stepwise] == [h.tokens for h in batched[b]]


def test_language_model_continues_prompt():
    model = ToyDecoder(vocab_size=8, src_vocab=8, max_len=6, seed=2, lm=True, cell="lstm")
    prompts = torch.tensor([[4, 5, 6, 7], [5, 5, 0, 0], [6, 0, 0, 0]])
    lengths = torch.tensor([4, 2, 1])
    batched = beam_search(model, prompts, lengths, beam_width=3, n_best=3)
    for b in range(3):
        p = prompts[b, : int(lengths[b])]
        alone = beam_search(model, p[None], None, beam_width=3, n_best=3)[0]
        assert [h.tokens for h in alone] == [h.tokens for h in batched[b]]
        for h in alone:  # teacher-forced: the decoder over prompt + continuation
            seq = torch.tensor([p.tolist() + list(h.tokens[:-1])])
            state = model._zero(1, seq.device)
            out, _ = model._run(seq, state)
            lp = torch.log_softmax(model.out(out), -1)[0, len(p) - 1:].detach()
            ref = float(lp.gather(1, torch.tensor(h.tokens).view(-1, 1)).sum())
            assert h.logprob == pytest.approx(ref, abs=1e-5)


def test_decoding_leaves_training_mode_and_grad_alone():
    model = ToyDecoder(seed=1)
    model.train()
    x, lengths = _source(1)
    beam_search(model, x, lengths, beam_width=2)
    assert model.training
    bs = BeamSearch(model, x[0], beam_width=2)
    bs.step()
    assert model.training
    assert not bs._core.cum.requires_grad


def test_settings_are_checked():
    model = ToyDecoder()
    x, _ = _source(0)
    for bad in (dict(beam_width=0), dict(max_len=0), dict(n_best=0), dict(min_len=5), dict(alpha=-1.0)):
        with pytest.raises(ValueError):
            beam_search(model, x, **bad)


# ---------------------------------------------------------------------- the search tree
def _snapshot(bs: BeamSearch):
    return (sorted((n, dict(a)) for n, a in bs.tree.nodes(data=True)), sorted(bs.tree.edges()), list(bs.beam),
            [(h.tokens, h.score, h.node) for h in bs.results], bs.done)


def _check_tree(bs: BeamSearch):
    t = bs.tree
    assert nx_is_tree(t)
    finished_nodes = {h.node for h in bs.results}
    for n, a in t.nodes(data=True):
        kids = list(t.successors(n))
        live = [k for k in kids if t.nodes[k]["status"] != "pruned"]
        assert a["live"] == len(live), n
        assert (a["status"] == "pruned") == (a["pruned_at"] is not None), n
        if a["parent"] is not None:
            assert t.nodes[a["parent"]]["depth"] + 1 == a["depth"]
            assert a["score"] == pytest.approx(t.nodes[a["parent"]]["score"] + a["logprob"], abs=1e-4)
        if a["status"] == "alive":  # on the path to the beam or to a result
            assert n in bs.beam or live, n
        if a["status"] == "finished":
            assert not kids and a["finished_by"] in ("eos", "max_len")
    for n in bs.beam:
        assert t.nodes[n]["status"] == "alive" and t.nodes[n]["live"] == 0
    for n in finished_nodes:
        assert t.nodes[n]["status"] == "finished"
    assert [t.nodes[n]["score"] for n in bs.beam] == sorted((t.nodes[n]["score"] for n in bs.beam), reverse=True)


def nx_is_tree(t) -> bool:
    import networkx as nx

    return nx.is_arborescence(t)


@pytest.mark.parametrize("keep_pruned", [None, 0, 2, 6])
def test_tree_statuses_and_pruned_children(keep_pruned):
    model = ToyDecoder(vocab_size=10, max_len=8, seed=4, hidden=16, eos_bias=-1.0)
    x, lengths = _source(3)
    bs = BeamSearch(model, x[0], beam_width=3, n_best=3, keep_pruned=keep_pruned, vocab=Vocab(list("abcdef")))
    k = 3 if keep_pruned is None else keep_pruned
    while not bs.done:
        before = list(bs.beam)
        new = bs.step()
        assert set(new) <= set(bs.tree.nodes)
        for p in before:
            kids = list(bs.tree.successors(p))
            chosen = [c for c in kids if bs.tree.nodes[c]["kept"]]
            assert len(kids) <= max(k, 0) + len(chosen)
            assert len(kids) - len(chosen) <= k
            pruned = [c for c in kids if not bs.tree.nodes[c]["kept"]]
            assert all(bs.tree.nodes[c]["pruned_at"] == bs.steps for c in pruned)
        _check_tree(bs)
    assert bs.results and bs.results == sorted(bs.results, key=lambda h: -h.score)
    assert bs.tree.nodes[bs.root]["text"] == "<bos>"
    for h in bs.results:
        assert bs.path(h.node) == list(h.tokens)
    assert all(a["status"] != "alive" or a["live"] for n, a in bs.tree.nodes(data=True))


def test_back_then_step_reproduces_the_tree():
    model = ToyDecoder(vocab_size=9, max_len=7, seed=8, hidden=16, eos_bias=-1.0)
    x, lengths = _source(2)
    bs = BeamSearch(model, x[0], beam_width=4, vocab=Vocab(list("abcde")))
    snaps = [_snapshot(bs)]
    while not bs.done:
        bs.step()
        snaps.append(_snapshot(bs))
    assert len(snaps) > 3
    final = snaps[-1]
    for expected in reversed(snaps[:-1]):
        assert bs.back()
        assert _snapshot(bs) == expected
    assert not bs.back()
    bs.run()
    assert _snapshot(bs) == final
    # back two, step two: the same again
    bs.back()
    bs.back()
    bs.step()
    bs.step()
    assert _snapshot(bs) == final


@pytest.mark.parametrize("seed", range(3))
def test_force_continues_from_the_chosen_hypothesis(seed):
    model = ToyDecoder(vocab_size=9, max_len=7, seed=seed, hidden=16, eos_bias=-1.0)
    x, lengths = _source(seed)
    bs = BeamSearch(model, x[0], beam_width=3)
    bs.step()
    bs.step()
    before = _snapshot(bs)
    pruned = [n for n, a in bs.tree.nodes(data=True) if a["status"] == "pruned" and a["token"] != EOS]
    target = pruned[0]
    prefix = bs.path(target)
    touched = bs.force(target)
    assert target in touched
    assert bs.beam == [target] and bs.tree.nodes[target]["status"] == "alive" and bs.tree.nodes[target]["forced"]
    _check_tree(bs)
    results = bs.run()
    assert results and all(list(h.tokens[: len(prefix)]) == prefix for h in results)
    for h in results:
        assert h.logprob == pytest.approx(model.sequence_logprob(x, list(h.tokens)), abs=1e-5)
    _check_tree(bs)
    # undo everything back to before the force
    while bs.steps > 2:
        bs.back()
    assert _snapshot(bs) == before
    # a token prefix that is not in the tree yet
    new_prefix = [4, 4, 5, 4]
    bs.force(new_prefix)
    assert bs.path(bs.beam[0]) == new_prefix
    _check_tree(bs)
    assert all(list(h.tokens[:4]) == new_prefix for h in bs.run())
    # a prefix ending in <eos> is finished at once
    bs.force([5, EOS])
    assert bs.done and [h.tokens for h in bs.results] == [(5, EOS)]
    _check_tree(bs)
    with pytest.raises(ValueError):
        bs.force([EOS, 4])
    with pytest.raises(ValueError):
        bs.force(10_000)
    with pytest.raises(ValueError):
        bs.force([4, 99])
    assert bs.done and [h.tokens for h in bs.results] == [(5, EOS)]  # a refused force changes nothing


def test_force_equals_search_with_forced_start():
    """Forcing the beam's best first token then running equals a search whose first step is fixed."""
    model = ToyDecoder(vocab_size=8, max_len=6, seed=5, eos_bias=-1.0)
    x, _ = _source(4)
    bs = BeamSearch(model, x[0], beam_width=3, n_best=3)
    bs.force([4])
    forced = bs.run()
    assert all(h.tokens[0] == 4 for h in forced)
    assert forced[0].logprob == pytest.approx(model.sequence_logprob(x, list(forced[0].tokens)), abs=1e-5)


def test_export_json_and_dot(tmp_path):
    model = ToyDecoder(vocab_size=8, max_len=5, seed=6)
    x, _ = _source(6)
    bs = BeamSearch(model, x[0], beam_width=3, vocab=Vocab(["a", 'q"t', "c", "d"]))
    bs.run()
    d = tree_to_dict(bs)
    assert d["format"] == "rnn-designer-beam-tree" and len(d["nodes"]) == bs.tree.number_of_nodes()
    assert d["results"][0]["tokens"] == list(bs.results[0].tokens)
    bs.save(tmp_path / "tree.json")
    loaded = json.loads((tmp_path / "tree.json").read_text())
    assert loaded == json.loads(json.dumps(d))
    dot = tree_to_dot(bs)
    assert dot.startswith("digraph beam {") and dot.count("->") == bs.tree.number_of_edges()
    bs.save(tmp_path / "tree.dot")
    assert (tmp_path / "tree.dot").read_text() == dot
    with pytest.raises(ValueError):
        bs.save(tmp_path / "tree.png")


def test_step_after_done_and_results_midway():
    model = ToyDecoder(vocab_size=8, max_len=4, seed=9)
    x, _ = _source(9)
    bs = BeamSearch(model, x[0], beam_width=2)
    assert bs.results == [] and not bs.done and bs.beam == [bs.root]
    bs.run()
    assert bs.done and bs.step() == [] and bs.beam == []
    assert all(math.isfinite(h.score) for h in bs.results)
