"""The window knows cells only through the registry: no cell kind is named in designer/, a cell
registered by a test shows up everywhere, and a recurrent block's cell changes in place."""
from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu
from sixth_cell import KIND, TITLE, keep_cell_registered

from designer.main_window import MainWindow
from designer.training import theme
from designer.training.gate_plot import GatePlot
from engine.data import get_task
from engine.document import cells
from engine.document.templates import template
from engine.model.compiler import compile_design
from engine.training.trainer import TrainSettings, train_design

DESIGNER = Path(__file__).resolve().parents[2] / "designer"
BUILT_IN = ("lstm", "gru", "min_gru", "jordan", "elman")


def test_the_designer_names_no_cell_kind() -> None:
    found = []
    for path in sorted(DESIGNER.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in BUILT_IN:
                found.append(f"{path.relative_to(DESIGNER.parent)}:{node.lineno}: {node.value!r}")
    assert not found, "cell kinds belong to engine.document.cells:\n" + "\n".join(found)


@pytest.fixture
def keep_window(qtbot, settings):  # noqa: ANN001, ANN201
    with keep_cell_registered():
        w = MainWindow(settings=settings)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        yield w
        w.document.undo_stack.setClean()
        w.close()


def test_a_registered_sixth_cell_is_in_the_palette_compiles_trains_probes_and_shows_its_gate(keep_window, qtbot):  # noqa: ANN001
    w = keep_window
    assert w.palette.items[KIND].text(0) == TITLE
    assert w.palette.items[KIND].parent().text(0) == "Cells"
    w.palette.apply_filter("keep gate")  # a cell is found by its gates' words too
    assert w.palette.visible_kinds() == [KIND]
    w.palette.apply_filter("forget")
    assert w.palette.visible_kinds() == [cells.cell_of_records({"input", "forget", "cell", "output", "c", "h"}).kind]
    w.palette.apply_filter("")
    ids = [w.scene.add_block(k, w.view.visible_center()) for k in ("token_input", "embedding", KIND, "classifier")]
    for a, b in itertools.pairwise(ids):
        assert w.scene.try_connect(a, "out", b, "in") is None
    w.scene.select_nodes([ids[2]])
    combo = w.inspector.cell_kind
    assert combo is not None and combo.currentText() == TITLE
    assert [combo.itemData(i) for i in range(combo.count())] == [c.kind for c in cells.cells()]
    assert w.scene.nodes[ids[2]].summary() == "hidden 64"
    w.inspector.apply_edit("hidden_size", 6)
    for node, params in ((ids[0], {"vocab_size": 11}), (ids[3], {"num_classes": 11})):
        w.scene.select_nodes([node])
        w.inspector.apply_edit(next(iter(params)), next(iter(params.values())))
    assert w.document.report.ok, w.document.report.problems
    model = compile_design(w.document.design)
    assert type(model.blocks[ids[2]].rnn).__name__ == "KeepRNN"
    traces: list[dict] = []

    class Catch:
        def on_probe(self, event: dict) -> None:
            traces.append(event["trace"])

    result = train_design(w.document.design, get_task("reber", train_size=16, val_size=8),
                          TrainSettings(steps=1, batch_size=4, probe_every=1, probe_size=2), callbacks=[Catch()])
    assert result["step"] == 1
    arrays = traces[-1][ids[2]][0]["forward"]
    plot = GatePlot()
    qtbot.addWidget(plot)
    plot.show_probe(arrays, 0, [str(t) for t in range(arrays["h"].shape[1])], None)
    assert plot.kind == KIND and plot.gates == ("keep",) and plot.gated() == ("keep",)
    assert plot.slots[0].values.shape == arrays["keep"][0].shape
    assert plot.mean_curves["keep"].opts["pen"].color().name() == theme.ROLE_COLORS["forget"]
    w.scene.select_nodes([w.scene.add_block("decoder", w.view.visible_center())])
    tip = w.inspector.editors["cell"].toolTip()
    assert f"{TITLE}: it has one layer and one direction only" in tip


def test_changing_the_encoder_from_gru_to_lstm_in_the_inspector_keeps_wires_and_sizes(window, qtbot):  # noqa: ANN001
    doc = window.document
    doc.new(template("encoder-decoder", cell="gru", hidden_size=48, num_layers=2, dropout=0.1))
    before = doc.design.to_dict()
    arch = doc.report.architecture
    window.scene.select_nodes(["encoder"])
    combo = window.inspector.cell_kind
    assert combo.currentText() == "GRU"
    combo.setCurrentIndex(combo.findData("lstm"))
    node = doc.design.nodes["encoder"]
    assert node.kind == "lstm" and node.position == tuple(before["nodes"][2]["position"])
    assert {k: node.params[k] for k in cells.SHARED} == {k: before["nodes"][2]["params"][k] for k in cells.SHARED}
    assert [e.to_dict() for e in doc.design.edges] == before["edges"]
    assert doc.report.ok and doc.report.architecture == arch
    assert doc.report.param_counts["encoder"] > 0
    item = window.scene.nodes["encoder"]
    assert item.kind == "lstm" and item.isSelected()
    assert all(window.scene.edges[e].isVisible() for e in doc.design.edges_of("encoder"))
    qtbot.waitUntil(lambda: window.inspector.cell_kind is not None and window.inspector.cell_kind.currentText() == "LSTM")
    assert window.inspector.node_id == "encoder"
    assert doc.undo_stack.count() == 1 and "to LSTM" in doc.undo_stack.undoText()
    doc.undo_stack.undo()
    assert doc.design.to_dict() == before
    qtbot.waitUntil(lambda: window.inspector.cell_kind.currentText() == "GRU")
    doc.undo_stack.redo()
    assert doc.design.nodes["encoder"].kind == "lstm"


def test_every_cell_kind_changes_to_every_other_from_the_context_menu(window):  # noqa: ANN001
    doc, scene = window.document, window.scene
    kinds = [c.kind for c in cells.cells()]
    for old, new in itertools.permutations(kinds, 2):
        doc.new(template("many-to-many", cell=old, hidden_size=12, num_layers=2, bidirectional=True, dropout=0.2))
        before = doc.design.to_dict()
        scene.select_nodes([old])
        menu = QMenu()
        sub = scene.add_cell_menu(menu)
        actions = {a.data(): a for a in sub.actions()}
        assert list(actions) == kinds and actions[old].isChecked()
        assert [a.text() for a in sub.actions()] == [c.title for c in cells.cells()]
        actions[new].trigger()
        node = doc.design.nodes[old]  # the id stays
        assert node.kind == new, (old, new)
        assert {k: node.params[k] for k in cells.SHARED} == {"hidden_size": 12, "num_layers": 2, "bidirectional": True,
                                                             "dropout": 0.2}
        assert [e.to_dict() for e in doc.design.edges] == before["edges"]
        assert doc.report.ok, (old, new, doc.report.problems)
        assert doc.report.architecture == "many-to-many"
        assert scene.nodes[old].kind == new and len(scene.edges) == len(before["edges"])
        doc.undo_stack.undo()
        assert doc.design.to_dict() == before, (old, new)
        menu.deleteLater()
    assert not scene.change_cell("embed", "lstm")  # not a recurrent cell block: nothing to change


def test_the_decoder_offers_every_cell_it_can_run_by_its_palette_title(window):  # noqa: ANN001
    doc = window.document
    doc.new(template("encoder-decoder", cell="gru", hidden_size=16))
    window.scene.select_nodes(["decoder"])
    combo = window.inspector.editors["cell"]
    titles = [combo.itemText(i) for i in range(combo.count())]
    assert titles == ["Elman RNN", "Elman RNN (ReLU)", "Jordan RNN", "GRU", "Minimal GRU", "LSTM"]
    assert window.palette.items[cells.decoder_choice("jordan").cell].text(0) == "Jordan RNN"
    combo.setCurrentIndex(titles.index("Jordan RNN"))
    assert doc.design.nodes["decoder"].params["cell"] == "jordan"
    assert doc.report.ok and window.scene.nodes["decoder"].summary().startswith("Jordan RNN")
    combo.setCurrentIndex(titles.index("Elman RNN (ReLU)"))
    assert doc.design.nodes["decoder"].params["cell"] == "elman_relu"
    doc.undo_stack.undo()  # consecutive edits of one parameter are one step
    assert doc.design.nodes["decoder"].params["cell"] == "gru"
