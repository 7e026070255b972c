"""The compiler: numeric conformance with PyTorch's fused layers, our own cells against their
equations, padding, the decode step interface, and parameter counts."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from engine.document.design import Design
from engine.document.templates import TEMPLATES, template
from engine.errors import CompileError
from engine.model.cells import JordanRNN, MinimalGRU, reverse_padded
from engine.model.compiler import compile_design

torch.manual_seed(0)


def _cell_design(kind: str, layers: int, bidir: bool, features: int = 5, hidden: int = 7) -> Design:
    d = Design(name="conformance")
    d.add_node("sequence_input", {"features": features}, node_id="x")
    d.add_node(kind, {"hidden_size": hidden, "num_layers": layers, "bidirectional": bidir}, node_id="cell")
    d.add_node("regressor", {"outputs": 1}, node_id="head")
    d.connect("x", "out", "cell", "in")
    d.connect("cell", "out", "head", "in")
    return d


FUSED = {"lstm": nn.LSTM, "gru": nn.GRU, "elman": nn.RNN}


@pytest.mark.parametrize("kind", list(FUSED))
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("bidir", [False, True])
def test_fused_cells_match_pytorch_with_the_same_weights(kind: str, layers: int, bidir: bool) -> None:
    model = compile_design(_cell_design(kind, layers, bidir)).eval()
    block = model.blocks["cell"]
    reference = FUSED[kind](5, 7, num_layers=layers, bidirectional=bidir, batch_first=True)
    reference.load_state_dict(block.rnn.state_dict())  # same parameter names → interchangeable weights
    x = torch.randn(4, 9, 5)
    res = model.run_nodes(x)
    ref_out, ref_h = reference(x)
    torch.testing.assert_close(res.outputs["cell"]["out"], ref_out, atol=1e-6, rtol=0)
    ref_h = ref_h[0] if isinstance(ref_h, tuple) else ref_h
    torch.testing.assert_close(res.states["cell"][0], ref_h, atol=1e-6, rtol=0)


def test_minimal_gru_on_a_hand_checked_case() -> None:
    cell = MinimalGRU(1, 1)
    with torch.no_grad():
        cell.weight_ih_l0.copy_(torch.tensor([[0.5], [1.0]]))  # [update; candidate]
        cell.weight_hh_l0.copy_(torch.tensor([[-1.0], [2.0]]))
        cell.bias_ih_l0.copy_(torch.tensor([0.1, 0.0]))
        cell.bias_hh_l0.zero_()
    x = torch.tensor([[[1.0], [-2.0]]])  # (B=1, T=2, F=1)
    out, h_n = cell(x)
    sig = lambda v: 1 / (1 + math.exp(-v))
    h = 0.0
    expected = []
    for xt in (1.0, -2.0):
        u = sig(0.5 * xt + 0.1 - 1.0 * h)
        n = math.tanh(1.0 * xt + 2.0 * h)
        h = (1 - u) * h + u * n
        expected.append(h)
    # by hand: step 1 u = σ(0.6) = 0.645656, ñ = tanh(1) = 0.761594, h1 = 0.491729
    assert expected[0] == pytest.approx(0.491729, abs=1e-6)
    torch.testing.assert_close(out.view(-1), torch.tensor(expected), atol=1e-6, rtol=0)
    assert h_n.item() == pytest.approx(expected[-1], abs=1e-6)


def test_jordan_rnn_on_a_hand_checked_case() -> None:
    cell = JordanRNN(1, 2, output_size=1)
    with torch.no_grad():
        cell.weight_ih_l0.copy_(torch.tensor([[1.0], [-1.0]]))
        cell.bias_ih_l0.copy_(torch.tensor([0.0, 0.5]))
        cell.weight_hh_l0.copy_(torch.tensor([[0.5], [0.25]]))  # acts on y_{t-1}
        cell.weight_ho_l0.copy_(torch.tensor([[1.0, 2.0]]))
        cell.bias_ho_l0.copy_(torch.tensor([-0.1]))
    out, y_n = cell(torch.tensor([[[0.3], [0.7]]]))
    y, expected = 0.0, []
    for xt in (0.3, 0.7):
        h1 = math.tanh(1.0 * xt + 0.0 + 0.5 * y)
        h2 = math.tanh(-1.0 * xt + 0.5 + 0.25 * y)
        y = h1 + 2 * h2 - 0.1
        expected.append(y)
    # by hand: step 1 h = (tanh 0.3, tanh 0.2) = (0.291313, 0.197375), y1 = 0.586063
    assert expected[0] == pytest.approx(0.586063, abs=1e-6)
    torch.testing.assert_close(out.view(-1), torch.tensor(expected), atol=1e-6, rtol=0)
    assert y_n.item() == pytest.approx(expected[-1], abs=1e-6)


def _stacked_reference(cell: MinimalGRU | JordanRNN, x: torch.Tensor) -> torch.Tensor:
    """A direct, unbatched-in-time implementation of the equations for every layer and direction."""
    layer_in = x
    for layer in range(cell.num_layers):
        outs = []
        for reverse in ([False, True] if cell.bidirectional else [False]):
            w = cell.weights(layer, reverse)
            seq = layer_in.flip(1) if reverse else layer_in
            s = torch.zeros(x.shape[0], cell.state_size)
            steps = []
            for t in range(seq.shape[1]):
                xt = seq[:, t]
                if isinstance(cell, MinimalGRU):
                    H = cell.hidden_size
                    u = torch.sigmoid(xt @ w["weight_ih"][:H].T + w["bias_ih"][:H] + s @ w["weight_hh"][:H].T + w["bias_hh"][:H])
                    n = torch.tanh(xt @ w["weight_ih"][H:].T + w["bias_ih"][H:] + s @ w["weight_hh"][H:].T + w["bias_hh"][H:])
                    s = (1 - u) * s + u * n
                else:
                    h = torch.tanh(xt @ w["weight_ih"].T + w["bias_ih"] + s @ w["weight_hh"].T)
                    s = h @ w["weight_ho"].T + w["bias_ho"]
                steps.append(s)
            o = torch.stack(steps, 1)
            outs.append(o.flip(1) if reverse else o)
        layer_in = torch.cat(outs, 2)
    return layer_in


@pytest.mark.parametrize("cls", [MinimalGRU, JordanRNN])
@pytest.mark.parametrize("layers,bidir", [(1, False), (2, True)])
def test_our_cells_match_their_equations_stacked_and_bidirectional(cls, layers: int, bidir: bool) -> None:
    cell = cls(3, 4, num_layers=layers, bidirectional=bidir)
    x = torch.randn(2, 6, 3)
    out, _ = cell(x)
    torch.testing.assert_close(out, _stacked_reference(cell, x), atol=1e-6, rtol=0)


@pytest.mark.parametrize("kind", ["lstm", "gru", "elman", "min_gru", "jordan"])
def test_padded_batches_equal_each_sequence_alone(kind: str) -> None:
    model = compile_design(_cell_design(kind, 2, True)).eval()
    lengths = torch.tensor([6, 2, 4])
    x = torch.randn(3, 6, 5)
    res = model.run_nodes(x, lengths)
    for b, n in enumerate(lengths.tolist()):
        alone = model.run_nodes(x[b : b + 1, :n])
        torch.testing.assert_close(res.outputs["cell"]["out"][b, :n], alone.outputs["cell"]["out"][0], atol=1e-5, rtol=0)
        torch.testing.assert_close(res.outputs["cell"]["state"][b], alone.outputs["cell"]["state"][0], atol=1e-5, rtol=0)


def test_reverse_padded_keeps_padding_in_place() -> None:
    x = torch.tensor([[1, 2, 3, 0], [4, 5, 0, 0]]).unsqueeze(-1)
    out = reverse_padded(x, torch.tensor([3, 2])).squeeze(-1)
    assert out.tolist() == [[3, 2, 1, 0], [5, 4, 0, 0]]


@pytest.mark.parametrize("arch", list(TEMPLATES))
@pytest.mark.parametrize("cell", ["lstm", "gru", "elman", "min_gru", "jordan"])
def test_analytic_parameter_counts_equal_the_module(arch: str, cell: str) -> None:
    model = compile_design(template(arch, cell=cell, hidden_size=16))
    assert sum(p.numel() for p in model.parameters()) == model.report.total_params
    for node_id, count in model.report.param_counts.items():
        assert sum(p.numel() for p in model.blocks[node_id].parameters()) == count, node_id


def test_decoder_steps_reproduce_teacher_forcing() -> None:
    for arch in ("encoder-decoder", "one-to-many"):
        design = template(arch, cell="lstm", hidden_size=16)
        model = compile_design(design).eval()
        if arch == "encoder-decoder":
            vocab = design.nodes["source"].params["vocab_size"]
            x, lengths = torch.randint(4, vocab, (3, 8)), torch.tensor([8, 5, 3])
        else:
            classes = design.nodes["number"].params["num_classes"]
            x, lengths = torch.randint(0, classes, (3,)), None
        y_in = torch.randint(1, model.vocab_size, (3, 5))
        full = torch.log_softmax(model(x, lengths, y_in), -1)  # (B, T', V)
        state, tok = model.decode_init(x, lengths)
        assert tok.tolist() == [model.bos_id] * 3
        for t in range(5):
            logp, state = model.decode_step(y_in[:, t], state)
            torch.testing.assert_close(logp, full[:, t], atol=1e-5, rtol=0)
        # reordering the state is choosing hypotheses
        idx = torch.tensor([2, 2, 0])
        state2 = model.reorder_state(state, idx)
        lp_a, _ = model.decode_step(y_in[idx, 0], state2)
        lp_b, _ = model.decode_step(y_in[:, 0], state)
        torch.testing.assert_close(lp_a, lp_b[idx], atol=1e-6, rtol=0)


def test_language_model_continues_a_prompt() -> None:
    model = compile_design(template("many-to-many", cell="gru")).eval()
    assert model.can_decode
    x = torch.randint(4, 11, (2, 7))
    lengths = torch.tensor([7, 4])
    full = torch.log_softmax(model(x, lengths), -1)
    state, tok = model.decode_init(x, lengths)
    assert tok.tolist() == [x[0, 6].item(), x[1, 3].item()]
    logp, _ = model.decode_step(tok, state)
    torch.testing.assert_close(logp[0], full[0, 6], atol=1e-5, rtol=0)
    torch.testing.assert_close(logp[1], full[1, 3], atol=1e-5, rtol=0)
    greedy = model.generate(x, lengths, max_len=5)
    assert greedy.shape[0] == 2 and greedy.shape[1] <= 5


def test_bidirectional_tagger_cannot_decode() -> None:
    model = compile_design(template("many-to-many", cell="lstm", bidirectional=True))
    assert not model.can_decode
    with pytest.raises(ValueError, match="cannot generate"):
        model.decode_init(torch.randint(4, 11, (1, 3)))


def test_greedy_generation_stops_at_eos() -> None:
    model = compile_design(template("one-to-many", cell="gru", hidden_size=8)).eval()
    with torch.no_grad():
        model.blocks["head"].linear.bias.fill_(-10)
        model.blocks["head"].linear.bias[model.eos_id] = 10  # <eos> always wins
    out = model.generate(torch.tensor([1, 2]))
    assert out.tolist() == [[model.eos_id], [model.eos_id]]


def test_loss_masks_padding_and_matches_plain_losses() -> None:
    model = compile_design(template("many-to-many", cell="gru"))
    x = torch.randint(4, 11, (2, 5))
    out = model(x)
    y = torch.randint(0, 11, (2, 5))
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.bool)
    expected = nn.functional.cross_entropy(out[mask], y[mask])
    torch.testing.assert_close(model.loss(out, y, mask), expected)
    reg = compile_design(template("many-to-one"))
    pred = reg(torch.rand(4, 10, 2))
    y = torch.rand(4)
    torch.testing.assert_close(reg.loss(pred, y), ((pred.squeeze(1) - y) ** 2).mean())


def test_a_design_with_errors_does_not_compile() -> None:
    d = template("many-to-one")
    d.remove_node("last")
    with pytest.raises(CompileError, match='node "head" port "in" is not connected'):
        compile_design(d)


def test_training_step_reduces_loss() -> None:
    model = compile_design(template("many-to-one", cell="lstm", hidden_size=16))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = torch.rand(32, 12, 2), torch.rand(32)
    first = None
    for _ in range(30):
        loss = model.loss(model(x), y)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first
