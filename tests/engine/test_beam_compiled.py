"""Beam search on compiled designs: encoder-decoder, one-to-many, a token language model, and a
decoder trained in the test (a few seconds) on reversing short sequences."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from engine import compile_design, template
from engine.beam import BeamSearch, beam_search, greedy_search
from engine.vocab import BOS, EOS, PAD


def _enc_dec(cell: str = "gru", tgt_vocab: int = 9, max_len: int = 7, seed: int = 0, bidirectional: bool = True):
    torch.manual_seed(seed)
    d = template("encoder-decoder", cell=cell, hidden_size=24, src_vocab=20, tgt_vocab=tgt_vocab, embed_dim=8,
                 max_len=max_len, bidirectional=bidirectional)
    return compile_design(d).eval()


def _sources(B: int = 5, T: int = 6, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(2, T + 1, (B,), generator=g)
    lengths[0] = T
    x = torch.randint(4, 20, (B, T), generator=g).masked_fill(torch.arange(T) >= lengths.view(-1, 1), PAD)
    return x, lengths


def _tf_enc_dec(model, x1, len1, tokens) -> float:
    """Teacher-forced: the whole target through model(x, lengths, target_in)."""
    target_in = torch.tensor([[BOS] + list(tokens[:-1])])
    with torch.no_grad():
        lp = F.log_softmax(model(x1, len1, target_in).float(), -1)[0]
    return float(lp.gather(1, torch.tensor(tokens).view(-1, 1)).sum())


def _generated(row: torch.Tensor) -> tuple[int, ...]:
    out = []
    for t in row.tolist():
        out.append(t)
        if t == EOS:
            break
    return tuple(out)


@pytest.mark.parametrize("cell", ["gru", "lstm", "min_gru"])
def test_width_one_is_model_generate(cell):
    model = _enc_dec(cell, seed=1)
    x, lengths = _sources()
    gen = model.generate(x, lengths)
    beams = beam_search(model, x, lengths, beam_width=1)  # both never generate <pad> or <bos>
    for b, hs in enumerate(beams):
        assert hs[0].tokens == _generated(gen[b])
    for g, hs in zip(greedy_search(model, x, lengths), beam_search(model, x, lengths, beam_width=1)):
        assert hs[0].tokens == g.tokens


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_scores_match_teacher_forced_forward(cell):
    model = _enc_dec(cell, seed=2, bidirectional=(cell == "gru"))
    x, lengths = _sources(seed=3)
    results = beam_search(model, x, lengths, beam_width=4, n_best=4, alpha=0.6)
    for b, hyps in enumerate(results):
        n = int(lengths[b])
        for h in hyps:
            assert h.logprob == pytest.approx(_tf_enc_dec(model, x[b:b + 1, :n], lengths[b:b + 1], h.tokens), abs=1e-5)
            assert h.score == pytest.approx(h.logprob / len(h.tokens) ** 0.6, abs=1e-6)


def test_batch_equals_each_input_alone_compiled():
    model = _enc_dec("gru", seed=4)
    x, lengths = _sources(B=6, seed=5)
    batched = beam_search(model, x, lengths, beam_width=3, n_best=3)
    for b in range(x.shape[0]):
        n = int(lengths[b])
        alone = beam_search(model, x[b:b + 1, :n], None, beam_width=3, n_best=3)[0]
        assert [h.tokens for h in alone] == [h.tokens for h in batched[b]]
        assert [h.score for h in alone] == pytest.approx([h.score for h in batched[b]], abs=1e-5)


def test_exhaustive_on_a_compiled_decoder():
    import itertools

    model = _enc_dec("gru", tgt_vocab=6, max_len=3, seed=6)
    x, lengths = _sources(B=1, seed=6)
    free = [3, 4, 5]
    seqs = [(*body, EOS) for k in range(3) for body in itertools.product(free, repeat=k)]
    seqs += list(itertools.product(free, repeat=3))
    best = max(seqs, key=lambda s: _tf_enc_dec(model, x, lengths, s))
    (hyps,) = beam_search(model, x, lengths, beam_width=6 ** 3)
    assert hyps[0].tokens == best


def test_one_to_many_from_a_class_id():
    torch.manual_seed(7)
    model = compile_design(template("one-to-many", hidden_size=16, num_classes=20, tgt_vocab=8, embed_dim=8,
                                    max_len=6)).eval()
    classes = torch.tensor([3, 11, 0])
    batched = beam_search(model, classes, beam_width=3, n_best=3)
    for b in range(3):
        stepwise = BeamSearch(model, classes[b], beam_width=3).run()
        assert [h.tokens for h in stepwise] == [h.tokens for h in batched[b]]
        for h in batched[b]:
            assert h.logprob == pytest.approx(_tf_enc_dec(model, classes[b:b + 1], None, h.tokens), abs=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_language_model_continues_a_prompt(cell):
    torch.manual_seed(8)
    model = compile_design(template("many-to-many", cell=cell, hidden_size=16, vocab_size=11, embed_dim=8)).eval()
    assert model.can_decode
    prompts = torch.tensor([[4, 5, 6, 7, 8], [9, 4, 0, 0, 0], [6, 0, 0, 0, 0]])
    lengths = torch.tensor([5, 2, 1])
    batched = beam_search(model, prompts, lengths, beam_width=3, n_best=3, max_len=6)
    for b in range(3):
        p = prompts[b, : int(lengths[b])].tolist()
        alone = beam_search(model, torch.tensor([p]), None, beam_width=3, n_best=3, max_len=6)[0]
        assert [h.tokens for h in alone] == [h.tokens for h in batched[b]]
        for h in alone:
            seq = torch.tensor([p + list(h.tokens[:-1])])
            with torch.no_grad():
                lp = F.log_softmax(model(seq).float(), -1)[0, len(p) - 1:]
            ref = float(lp.gather(1, torch.tensor(h.tokens).view(-1, 1)).sum())
            assert h.logprob == pytest.approx(ref, abs=1e-5)


def test_stepwise_tree_on_compiled_model_back_and_force():
    model = _enc_dec("lstm", seed=9, bidirectional=False)
    x, lengths = _sources(B=1, seed=9)
    bs = BeamSearch(model, x[0], int(lengths[0]), beam_width=3)
    bs.step()
    bs.step()
    nodes = sorted((n, dict(a)) for n, a in bs.tree.nodes(data=True))
    bs.step()
    bs.back()
    assert sorted((n, dict(a)) for n, a in bs.tree.nodes(data=True)) == nodes
    pruned = [n for n, a in bs.tree.nodes(data=True) if a["status"] == "pruned" and a["token"] != EOS]
    prefix = bs.path(pruned[-1])
    bs.force(pruned[-1])
    for h in bs.run():
        assert list(h.tokens[: len(prefix)]) == prefix
        assert h.logprob == pytest.approx(_tf_enc_dec(model, x, lengths, h.tokens), abs=1e-5)


# ---------------------------------------------------------------------- a trained decoder
@pytest.fixture(scope="module")
def trained():
    """A GRU encoder-decoder that learns to reverse 2–5 symbol strings (a few seconds on a CPU)."""
    from engine.data import get_task

    torch.manual_seed(0)
    task = get_task("reverse", symbols=4, min_length=2, max_length=5, train_size=2000, val_size=100, seed=0)
    d = template("encoder-decoder", cell="gru", hidden_size=48, src_vocab=len(task.source_vocab),
                 tgt_vocab=len(task.target_vocab), embed_dim=16, max_len=8, bidirectional=False)
    d.set_metadata("task", task.metadata())
    model = compile_design(d)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(6):
        for batch in task.batches("train", 64, epoch):
            loss = model.loss(model(batch.x, batch.lengths, batch.y_in), batch.y, batch.y_mask)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return d, model.eval(), task


def test_trained_decoder_beam_at_least_as_good_as_greedy(trained):
    _, model, task = trained
    val = task.split("val")
    truth = [task.show_target(val.y[i]) for i in range(len(val))]
    gen = model.generate(val.x, val.lengths)
    greedy = [task.show_target(gen[i]) for i in range(len(val))]
    beams = beam_search(model, val.x, val.lengths, beam_width=5)
    top = [task.target_vocab.decode(hs[0].tokens) for hs in beams]
    acc_greedy = sum(g == t for g, t in zip(greedy, truth)) / len(truth)
    acc_beam = sum(b == t for b, t in zip(top, truth)) / len(truth)
    assert acc_greedy > 0.5  # it learned something
    assert acc_beam >= acc_greedy - 0.02
    # width 1 is generate() exactly (a trained model never prefers <pad> or <bos>)
    for b, hs in enumerate(beam_search(model, val.x, val.lengths, beam_width=1)):
        assert hs[0].tokens == _generated(gen[b])
    for b in range(5):
        n = int(val.lengths[b])
        for h in beams[b]:
            assert h.logprob == pytest.approx(_tf_enc_dec(model, val.x[b:b + 1, :n], val.lengths[b:b + 1], h.tokens),
                                              abs=1e-5)
