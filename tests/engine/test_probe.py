"""Probes: the recomputed states equal the fused modules' outputs; gates and gradients are shaped
(N, T, units) per block, layer and direction."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.data import get_task
from engine.document.templates import template
from engine.model.compiler import compile_design
from engine.training.probes import GATES, probe

CELLS = ("lstm", "gru", "elman", "min_gru", "jordan")


def _fused_vs_probe(trace_layer, fused, name):
    rec = np.concatenate([trace_layer[d][name] for d in ("forward", "backward") if d in trace_layer], -1)
    valid = ~np.isnan(rec)
    assert valid.any()
    np.testing.assert_allclose(rec[valid], fused[valid], atol=1e-5, rtol=0)


@pytest.mark.parametrize("cell", CELLS)
def test_recomputed_states_equal_the_fused_output(cell):
    torch.manual_seed(0)
    model = compile_design(template("many-to-many", cell=cell, hidden_size=8, num_layers=2, bidirectional=True))
    batch = get_task("reber", train_size=8, val_size=8).probe_batch(4)
    assert len(set(batch.lengths.tolist())) > 1  # variable lengths: padding is exercised
    trace = probe(model, batch)
    fused = model.run_nodes(batch.x, batch.lengths).outputs[cell]["out"].detach().numpy()
    _fused_vs_probe(trace[cell][1], fused, "y" if cell == "jordan" else "h")
    n, t = batch.x.shape
    for layer in (0, 1):
        for direction in ("forward", "backward"):
            arrays = trace[cell][layer][direction]
            assert set(arrays) == set(GATES[cell]) | {"grad_h", "grad_norm"}
            assert arrays["h"].shape == (n, t, 8)
            assert arrays["grad_norm"].shape == (n, t)
            for i, length in enumerate(batch.lengths.tolist()):  # NaN exactly past each sequence's end
                assert not np.isnan(arrays["h"][i, :length]).any()
                assert np.isnan(arrays["h"][i, length:]).all()
    gates = trace[cell][0]["forward"]
    for name in set(GATES[cell]) & {"input", "forget", "output", "reset", "update"}:
        v = gates[name][~np.isnan(gates[name])]
        assert (v >= 0).all() and (v <= 1).all()  # sigmoid gates


@pytest.mark.parametrize("cell", ("lstm", "gru", "min_gru", "elman"))
def test_decoder_and_encoder_of_a_seq2seq_model(cell):
    torch.manual_seed(1)
    model = compile_design(template("encoder-decoder", cell=cell, hidden_size=8, embed_dim=4))
    batch = get_task("dates", train_size=4, val_size=4).probe_batch(3)
    trace = probe(model, batch)
    outputs = model.run_nodes(batch.x, batch.lengths, batch.y_in).outputs
    for node in ("encoder", "decoder"):
        _fused_vs_probe(trace[node][0], outputs[node]["out"].detach().numpy(), "h")
    assert trace["decoder"][0]["forward"]["h"].shape[1] == batch.y.shape[1]  # the target time axis


def test_gradient_norm_at_the_last_step_matches_autograd_and_vanishes_backwards():
    torch.manual_seed(0)
    model = compile_design(template("many-to-one", cell="elman", hidden_size=8))
    batch = get_task("adding", seq_len=40, train_size=4, val_size=4).probe_batch(4)
    trace = probe(model, batch)
    out = model.run_nodes(batch.x).outputs["elman"]["out"].detach().requires_grad_(True)
    loss = model.loss(model.blocks["head"]({"in": out[:, -1]}, None)["out"], batch.y)
    (g,) = torch.autograd.grad(loss, out)
    grad_h = trace["elman"][0]["forward"]["grad_h"]
    np.testing.assert_allclose(grad_h[:, -1], g[:, -1].numpy(), atol=1e-6)
    norms = trace["elman"][0]["forward"]["grad_norm"].mean(0)
    assert norms[0] < 1e-2 * norms[-1]  # an untrained Elman net: the gradient vanishes over 40 steps


def test_probe_leaves_the_model_as_it_found_it():
    torch.manual_seed(0)
    model = compile_design(template("many-to-one", cell="lstm", hidden_size=8))
    batch = get_task("adding", seq_len=10, train_size=4, val_size=4).probe_batch(2)
    model.train()
    before = model(batch.x).detach().clone()
    probe(model, batch)
    assert model.training
    assert all(p.grad is None for p in model.parameters())
    assert torch.equal(model(batch.x).detach(), before)


@pytest.mark.parametrize("cell", ("lstm", "gru", "elman"))
def test_fast_probe_equals_the_stepwise_autograd_reference(cell):
    """Gates, states and the total derivative ∂L/∂h_t of every step, layer and direction agree with a
    step-by-step recomputation differentiated by autograd through every step."""
    torch.manual_seed(3)
    model = compile_design(template("many-to-many", cell=cell, hidden_size=6, num_layers=2, bidirectional=True))
    batch = get_task("reber", train_size=8, val_size=8).probe_batch(4)
    fast, slow = probe(model, batch), probe(model, batch, stepwise=True)
    for layer in (0, 1):
        for direction in ("forward", "backward"):
            for name, ref in slow[cell][layer][direction].items():
                got = fast[cell][layer][direction][name]
                np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
                np.testing.assert_allclose(got[~np.isnan(got)], ref[~np.isnan(ref)], atol=1e-5, rtol=0,
                                           err_msg=f"{cell} layer {layer} {direction} {name}")


def test_fast_probe_of_a_decoder_equals_the_reference():
    torch.manual_seed(4)
    model = compile_design(template("encoder-decoder", cell="lstm", hidden_size=8, embed_dim=4, num_layers=2))
    batch = get_task("dates", train_size=4, val_size=4).probe_batch(3)
    fast, slow = probe(model, batch), probe(model, batch, stepwise=True)
    for node in ("encoder", "decoder"):
        for name, ref in slow[node][1]["forward"].items():
            got = fast[node][1]["forward"][name]
            np.testing.assert_allclose(np.nan_to_num(got), np.nan_to_num(ref), atol=1e-5, rtol=0, err_msg=f"{node} {name}")
