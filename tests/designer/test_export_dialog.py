"""File ▸ Export Model…: the dialog exports the open design's trained weights in a process of its own,
and says inline what went wrong, naming the file."""
from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file

from designer.export_dialog import ExportDialog
from designer.training.session import TrainedModel
from engine.document.templates import template
from engine.model.compiler import compile_design
from engine.training.checkpoint import save_checkpoint


def _open_small_design(window, tmp_path: Path):  # noqa: ANN001, ANN202
    design = template("many-to-one", cell="gru", hidden_size=4)
    design.metadata.pop("task", None)
    window.document.new(design)
    return window.document.design


def test_the_file_menu_exports_the_trained_model_as_pytorch_code(window, qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    design = _open_small_design(window, tmp_path)
    model = compile_design(design)
    with torch.no_grad():
        model.block("head").linear.weight.fill_(0.5)
    weights = save_checkpoint(tmp_path / "run" / "latest", model, design=design, step=3)
    window.install_panels()
    panel = window.training_panel
    panel.trained = TrainedModel(model, None, design.structure_hash(), weights, {}, 3)

    assert window.actionExportModel in window.menuBar().actions()[0].menu().actions()
    window.actionExportModel.trigger()
    dialog: ExportDialog = window._export_dialog
    qtbot.waitExposed(dialog)
    assert not dialog.isModal()
    assert dialog.checkpoint.text() == str(weights)  # the current run's checkpoint, filled in
    dialog.folder.setText(str(tmp_path / "code"))
    with qtbot.waitSignal(dialog.finished_export, timeout=120_000) as done:
        assert dialog.start()
    ok, message = done.args
    assert ok, message
    assert "model.py" in dialog.message.text()
    exported = load_file(str(tmp_path / "code" / "weights.safetensors"))
    assert torch.all(exported["head.weight"] == 0.5)
    dialog.close()


def test_an_export_that_fails_says_why_in_the_dialog_and_writes_nothing(window, qtbot, tmp_path: Path,  # noqa: ANN001
                                                                        dialogs) -> None:  # noqa: ANN001
    _open_small_design(window, tmp_path)
    dialog = ExportDialog(window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "No trained weights" in dialog.message.text()
    dialog.folder.setText("")
    assert not dialog.start() and "Choose the folder" in dialog.message.text()
    missing = tmp_path / "nowhere.safetensors"
    dialog.checkpoint.setText(str(missing))
    dialog.folder.setText(str(tmp_path / "out"))
    with qtbot.waitSignal(dialog.finished_export, timeout=120_000) as done:
        assert dialog.start()
    ok, message = done.args
    assert not ok and str(missing) in message and "Traceback" not in message
    assert message in dialog.message.text()
    assert not (tmp_path / "out").exists()
    assert dialogs.shown == []  # no message box
    dialog.close()
