"""The cell registry is the one table of cells: the catalog, the decoder's choices, the compiler,
the probes and docs/cells.md follow it — a cell registered by a test included."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from sixth_cell import KIND, TITLE, keep_cell_registered

from engine.data import get_task
from engine.document import cells
from engine.document.blocks import BLOCKS, CELL_KINDS
from engine.document.cell_docs import cells_markdown
from engine.document.design import Design
from engine.document.templates import template
from engine.errors import DesignError
from engine.model.check import check_design
from engine.model.compiler import compile_design
from engine.training.probes import GATES, probe
from engine.training.trainer import TrainSettings, train_design

ROOT = Path(__file__).resolve().parents[2]


def test_docs_cells_md_is_generated_from_the_registry() -> None:
    on_disk = (ROOT / "docs" / "cells.md").read_text(encoding="utf-8")
    assert on_disk == cells_markdown(), "regenerate with: python -m engine.document.cell_docs > docs/cells.md"


def test_every_cell_block_and_decoder_choice_comes_from_the_registry() -> None:
    kinds = [c.kind for c in cells.cells()]
    assert kinds == ["elman", "jordan", "gru", "min_gru", "lstm"]
    assert [k for k, b in BLOCKS.items() if b.group == "Cells"] == kinds == list(CELL_KINDS)
    for c in cells.cells():
        assert BLOCKS[c.kind].title == c.title and BLOCKS[c.kind].params == c.params
        assert GATES[c.kind] == c.records
    choice = BLOCKS["decoder"].param("cell")
    assert choice.choices == ("elman", "elman_relu", "jordan", "gru", "min_gru", "lstm")
    assert [choice.choice_title(v) for v in choice.choices] == [
        "Elman RNN", "Elman RNN (ReLU)", "Jordan RNN", "GRU", "Minimal GRU", "LSTM"]


def test_an_unknown_cell_is_an_error_that_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known cells: elman, jordan, gru, min_gru, lstm"):
        cells.cell("lstmm")
    with pytest.raises(ValueError, match="already exists"):
        cells.register(cells.cell("gru"))
    assert cells.cell_of("decoder", {"cell": "nope"}) is None
    assert cells.cell_of("dense", {}) is None


@pytest.mark.parametrize("choice", ["elman_relu", "jordan", "lstm"])
def test_the_decoder_runs_every_cell_it_offers(choice: str) -> None:
    d = template("encoder-decoder", cell="gru", hidden_size=8, embed_dim=4, bidirectional=False)
    d.set_param("decoder", "cell", choice)
    report = check_design(d)
    assert report.ok, report.problems
    torch.manual_seed(0)
    model = compile_design(d)
    dec = model.blocks["decoder"]
    assert dec.kind == cells.decoder_choice(choice).cell
    assert sum(p.numel() for p in dec.parameters()) == report.param_counts["decoder"]
    if choice == "elman_relu":
        assert dec.rnn.nonlinearity == "relu"
    batch = get_task("dates", train_size=4, val_size=4).probe_batch(3)
    loss = model.loss(model(batch.x, batch.lengths, batch.y_in), batch.y, batch.y_mask)
    loss.backward()
    assert torch.isfinite(loss)
    trace = probe(model, batch)
    outputs = model.run_nodes(batch.x, batch.lengths, batch.y_in).outputs
    emitted = "y" if choice == "jordan" else "h"
    rec = trace["decoder"][0]["forward"][emitted]
    valid = ~np.isnan(rec)
    np.testing.assert_allclose(rec[valid], outputs["decoder"]["out"].detach().numpy()[valid], atol=1e-5, rtol=0)
    assert set(trace["decoder"][0]["forward"]) == set(GATES[dec.kind]) | {"grad_h", "grad_norm"}
    assert model.generate(batch.x, batch.lengths, max_len=4).shape[0] == 3


def test_a_registered_sixth_cell_compiles_trains_and_probes_then_goes_away() -> None:
    with keep_cell_registered():
        assert KIND in BLOCKS and KIND in CELL_KINDS and BLOCKS[KIND].title == TITLE
        assert KIND not in BLOCKS["decoder"].param("cell").choices
        assert "Keep RNN: it has one layer" in BLOCKS["decoder"].param("cell").help
        d = template("many-to-many", cell=KIND, hidden_size=6, embed_dim=4)
        report = check_design(d)
        assert report.ok, report.problems
        probes: list[dict] = []

        class Catch:
            def on_probe(self, event: dict) -> None:
                probes.append(event["trace"])

        result = train_design(d, get_task("reber", train_size=16, val_size=8),
                              TrainSettings(steps=2, batch_size=4, probe_every=1, probe_size=2),
                              callbacks=[Catch()])
        assert result["status"] == "finished" and result["step"] == 2
        arrays = probes[-1][KIND][0]["forward"]
        assert set(arrays) == {"keep", "h", "grad_h", "grad_norm"}
        keep = arrays["keep"][~np.isnan(arrays["keep"])]
        assert keep.size and ((keep > 0) & (keep < 1)).all()
        saved = Design.copy(d).to_dict()
    assert KIND not in BLOCKS and KIND not in CELL_KINDS and KIND not in GATES
    assert all(n["kind"] != KIND for n in template("many-to-many").to_dict()["nodes"])
    assert any(n["kind"] == KIND for n in saved["nodes"])


def test_change_kind_keeps_id_wires_and_shared_params_and_undoes_exactly() -> None:
    d = template("encoder-decoder", cell="jordan", hidden_size=24, num_layers=2)
    d.set_param("encoder", "output_size", 24)
    before = d.to_dict()
    events: list = []
    d.subscribe(events.append)
    old_kind, old_params = d.change_kind("encoder", "lstm")
    assert (old_kind, old_params) == ("jordan", before["nodes"][2]["params"])
    assert [e.type for e in events] == ["kind_changed"]
    node = d.nodes["encoder"]
    assert node.params == {"hidden_size": 24, "num_layers": 2, "bidirectional": True, "dropout": 0.0}
    assert d.to_dict()["edges"] == before["edges"] and list(d.nodes) == [n["id"] for n in before["nodes"]]
    assert check_design(d).ok
    d.change_kind("encoder", old_kind, old_params)
    assert d.to_dict() == before
    with pytest.raises(DesignError, match='no port "state" for the wire encoder.state'):
        d.change_kind("encoder", "dense")
    assert d.to_dict() == before


def test_cells_offered_by_installed_packages_are_registered_and_a_broken_one_is_skipped() -> None:
    from importlib.metadata import EntryPoint

    points = [EntryPoint("keep", "sixth_cell:KEEP", cells.PLUGIN_GROUP),
              EntryPoint("broken", "no_such_module_here:CELL", cells.PLUGIN_GROUP)]
    problems = cells.load_plugins(points)
    try:
        assert KIND in BLOCKS and cells.cell(KIND).title == TITLE
        assert len(problems) == 1 and "'broken' (no_such_module_here:CELL) was not loaded" in problems[0]
    finally:
        cells.unregister(KIND)
    assert KIND not in BLOCKS
