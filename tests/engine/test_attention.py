"""Attention of a decoder over its encoder's steps: weights, padding, teacher forcing against the step
interface, beam search, the probe's matrix and the checks that explain a missing or misshaped wire."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.beam.core import beam_search, greedy_search
from engine.beam.search import BeamSearch
from engine.data import get_task
from engine.document.templates import template
from engine.errors import DesignError
from engine.model.check import check_design
from engine.model.compiler import compile_design
from engine.model.modules import memory_key
from engine.training.events import ATTENTION_ENTROPY, ProbeSummary, attention_entropy, load_trace, save_trace, summarize_probe
from engine.training.probes import probe

SCORES = ("additive", "dot", "general")


def _model(score: str, cell: str = "gru", bidirectional: bool = True, seed: int = 0):
    torch.manual_seed(seed)
    design = template("encoder-decoder", cell=cell, attention=score, hidden_size=16, embed_dim=8,
                      bidirectional=bidirectional, src_vocab=62)
    return compile_design(design).eval()


def _source(batch: int = 4, steps: int = 9):
    """Token ids with different lengths (0-padded), the longest as long as the batch."""
    g = torch.Generator().manual_seed(1)
    x = torch.randint(4, 62, (batch, steps), generator=g)
    lengths = torch.tensor([steps, 4, 7, 2][:batch])
    for i, n in enumerate(lengths.tolist()):
        x[i, n:] = 0
    return x, lengths


def _weights(model, x, lengths, y_in):
    res = model.run_nodes(x, lengths, y_in)
    return res.outputs["decoder"]["attention"], res.outputs["head"]["out"]


@pytest.mark.parametrize("score", SCORES)
def test_weights_sum_to_one_over_the_valid_steps_and_are_zero_on_padding(score):
    model = _model(score)
    x, lengths = _source()
    y_in = torch.randint(4, 15, (4, 6))
    with torch.no_grad():
        w, _ = _weights(model, x, lengths, y_in)
    assert w.shape == (4, 6, 9)  # (B, T', T)
    for i, n in enumerate(lengths.tolist()):
        torch.testing.assert_close(w[i, :, :n].sum(-1), torch.ones(6), atol=1e-6, rtol=0)
        assert bool((w[i, :, n:] == 0).all())  # exactly zero, not merely small
        assert bool((w[i, :, :n] > 0).all())


@pytest.mark.parametrize("score", SCORES)
def test_a_padded_batch_equals_each_sequence_alone(score):
    model = _model(score, cell="lstm")
    x, lengths = _source()
    y_in = torch.randint(4, 15, (4, 5))
    with torch.no_grad():
        w, logits = _weights(model, x, lengths, y_in)
        for i, n in enumerate(lengths.tolist()):
            w1, logits1 = _weights(model, x[i:i + 1, :n], lengths[i:i + 1], y_in[i:i + 1])
            torch.testing.assert_close(logits[i:i + 1], logits1, atol=1e-5, rtol=0)
            torch.testing.assert_close(w[i:i + 1, :, :n], w1, atol=1e-6, rtol=0)


@pytest.mark.parametrize("score", SCORES)
def test_decoding_steps_equal_teacher_forcing(score):
    model = _model(score)
    x, lengths = _source()
    y_in = torch.randint(4, 15, (4, 6))
    with torch.no_grad():
        w, logits = _weights(model, x, lengths, y_in)
        want = torch.log_softmax(logits, -1)
        state, _ = model.decode_init(x, lengths)
        assert memory_key("decoder") in state
        for t in range(y_in.shape[1]):
            lp, state = model.decode_step(y_in[:, t], state)
            torch.testing.assert_close(lp, want[:, t], atol=1e-5, rtol=0)
            torch.testing.assert_close(model.last_attention, w[:, t], atol=1e-6, rtol=0)


def test_reordering_moves_the_memory_and_its_mask_with_the_hypotheses():
    model = _model("general")
    x, lengths = _source()
    y_in = torch.randint(4, 15, (4, 3))
    index = torch.tensor([3, 3, 1, 0])
    with torch.no_grad():
        _, logits = _weights(model, x[index], lengths[index], y_in[index])
        state, _ = model.decode_init(x, lengths)
        state = model.reorder_state(state, index)
        for t in range(3):
            lp, state = model.decode_step(y_in[index][:, t], state)
            torch.testing.assert_close(lp, torch.log_softmax(logits[:, t], -1), atol=1e-5, rtol=0)


@pytest.mark.parametrize("score", ("additive", "dot"))
def test_beam_width_one_equals_greedy_on_an_attending_model(score):
    model = _model(score, seed=3)
    x, lengths = _source()
    beams = beam_search(model, x, lengths, beam_width=1, max_len=8)
    greedy = greedy_search(model, x, lengths, max_len=8)
    assert [b[0].tokens for b in beams] == [g.tokens for g in greedy]
    generated = model.generate(x, lengths, max_len=8)
    for b, g in enumerate(greedy):
        assert generated[b, :len(g.tokens)].tolist() == list(g.tokens)


def test_the_beam_tree_keeps_each_steps_attention_over_the_source():
    model = _model("additive")
    x, lengths = _source()
    bs = BeamSearch(model, x[1, :4], 4, beam_width=3, max_len=5)
    added = bs.step()
    assert added
    for node in added:
        a = np.asarray(bs.tree.nodes[node]["attention"])
        assert a.shape == (4,)
        assert a.sum() == pytest.approx(1.0, abs=1e-5)
    assert bs.tree.nodes[bs.root].get("attention") is None  # the start token attended nowhere
    bs.back()
    bs.step()  # the same tree again after an undo
    assert all(len(bs.tree.nodes[n]["attention"]) == 4 for n in added)


def test_the_probe_returns_the_attention_matrix_of_each_probe_sequence():
    task = get_task("dates", train_size=16, val_size=16)
    torch.manual_seed(0)
    model = compile_design(template("encoder-decoder", attention="additive", hidden_size=16, embed_dim=8,
                                    src_vocab=len(task.source_vocab)))
    batch = task.probe_batch(4)
    trace = probe(model, batch)
    a = trace["decoder"][0]["forward"]["attention"]
    n, t_src = batch.x.shape
    assert a.shape == (n, batch.y.shape[1], t_src)
    for i in range(n):
        src, tgt = int(batch.lengths[i]), int(batch.y_mask[i].sum())
        rows = a[i, :tgt, :src]
        np.testing.assert_allclose(rows.sum(-1), 1.0, atol=1e-5)
        assert np.all(a[i, :tgt, src:] == 0)  # the source's padding
        assert np.all(np.isnan(a[i, tgt:]))  # past the target's end
    # the probe's recomputation attends like training does
    want = model.run_nodes(batch.x, batch.lengths, batch.y_in).outputs["decoder"]["attention"].detach().numpy()
    valid = np.isfinite(a)
    np.testing.assert_allclose(a[valid], want[valid], atol=1e-5)


def test_an_unwired_memory_is_explained_naming_the_decoder_and_the_encoder():
    d = template("encoder-decoder", attention="additive")
    d.disconnect(d.incoming("decoder", "memory")[0])
    report = check_design(d)
    problem = next(p for p in report.errors if p.port == "memory")
    assert problem.node_id == "decoder"
    assert '"decoder"' in problem.message and '"encoder"' in problem.message and "additive" in problem.message
    assert problem.fix is not None and problem.fix.changes[0].value == "none"
    assert not report.compiles


def test_a_misshaped_memory_names_both_nodes_and_offers_a_fix():
    d = template("encoder-decoder", attention="general", hidden_size=16)
    d.set_param("decoder", "attention", "dot")  # the bidirectional encoder gives 32 features, the decoder has 16
    problem = next(p for p in check_design(d).errors if p.port == "memory")
    assert '"decoder"' in problem.message and '"encoder"' in problem.message and "32" in problem.message
    assert problem.fix is not None and problem.fix.changes[0].value == "general"
    d.set_param("decoder", "attention", "general")
    assert check_design(d).compiles


def test_a_memory_of_the_wrong_kind_is_refused_naming_both_nodes():
    d = template("encoder-decoder", attention="additive")
    d.disconnect(d.incoming("decoder", "memory")[0])
    with pytest.raises(DesignError) as err:  # the final state (B, H), not the steps (B, T, H)
        d.connect("encoder", "state", "decoder", "memory")
    assert '"decoder" port "memory"' in str(err.value) and '"encoder" port "state"' in str(err.value)


def test_a_memory_without_attention_is_a_warning_with_a_fix():
    d = template("encoder-decoder", attention="dot")
    d.set_param("decoder", "attention", "none")
    report = check_design(d)
    assert report.ok
    warning = next(p for p in report.warnings if p.port == "memory")
    assert '"encoder"' in warning.message and warning.fix is not None


def test_the_checker_counts_the_attention_weights():
    for score in ("none",) + SCORES:
        design = template("encoder-decoder", attention=score, hidden_size=16, embed_dim=8)
        report = check_design(design)
        model = compile_design(design, report)
        assert report.total_params == sum(p.numel() for p in model.parameters()), score


def test_the_template_refuses_an_unknown_attention():
    with pytest.raises(ValueError, match="additive"):
        template("encoder-decoder", attention="luong")


def test_the_attention_matrix_travels_in_the_probe_trace_file_with_its_entropy(tmp_path):
    task = get_task("dates", train_size=16, val_size=16)
    torch.manual_seed(0)
    model = compile_design(template("encoder-decoder", attention="dot", hidden_size=16, embed_dim=8,
                                    src_vocab=len(task.source_vocab)))
    trace = probe(model, task.probe_batch(3), gradients=False)
    save_trace(tmp_path, 7, trace)
    step, loaded = load_trace(tmp_path)
    a = loaded["decoder"][0]["forward"]["attention"]
    np.testing.assert_array_equal(a, trace["decoder"][0]["forward"]["attention"])
    summary = ProbeSummary.from_json(summarize_probe(step, loaded).to_json())
    entropy = summary.gate_means[("decoder", 0, "forward")][ATTENTION_ENTROPY]
    assert 0.0 < entropy <= np.log(a.shape[-1]) + 1e-9
    assert attention_entropy(np.eye(4)) == pytest.approx(0.0, abs=1e-9)  # sharp: each step on one source step
    assert attention_entropy(np.full((2, 4), 0.25)) == pytest.approx(np.log(4))  # spread evenly
