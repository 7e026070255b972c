"""File ▸ Export Model…: the trained model of the open design as PyTorch code or as ONNX graphs.

A small non-modal dialog: the format, the weights (the current run's checkpoint, filled in when
its design is the open one), the folder. The export runs as its own process — ``rnn-designer
export`` on a snapshot of the open design — so a slow ONNX export never freezes the window, and
its outcome (or the error naming what to fix) shows inline, never in a message box.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QProcess, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.document.design_file import save_design

FORMATS = (("pytorch", "PyTorch code — model.py + weights.safetensors"),
           ("onnx", "ONNX — graphs for onnxruntime + manifest.json"))


def current_checkpoint(window: Any) -> Path | None:
    """The checkpoint of the training panel's model when it was trained on the open design's structure."""
    panel = getattr(window, "training_panel", None)
    trained = getattr(panel, "trained", None)
    if trained is None or trained.checkpoint_path is None:
        return None
    if trained.design_hash != window.document.design.structure_hash():
        return None
    return Path(trained.checkpoint_path)


class ExportDialog(QDialog):
    """Export the open design's trained model; ``finished_export(ok, message)`` when a run ends."""

    finished_export = Signal(bool, str)

    def __init__(self, window: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.window_ = window
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export Model")
        self.setModal(False)
        self.process: QProcess | None = None
        self._snapshot: tempfile.TemporaryDirectory[str] | None = None

        self.format = QComboBox()
        self.format.setObjectName("exportFormat")
        for key, text in FORMATS:
            self.format.addItem(text, key)
        self.checkpoint = QLineEdit()
        self.checkpoint.setObjectName("exportCheckpoint")
        self.checkpoint.setPlaceholderText("a run folder or a .safetensors checkpoint; empty: untrained")
        self.folder = QLineEdit()
        self.folder.setObjectName("exportFolder")
        self.folder.setPlaceholderText("the folder to write into")
        self.message = QLabel()
        self.message.setObjectName("exportMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow("Format:", self.format)
        form.addRow("Weights:", self._with_browse(self.checkpoint, self._browse_checkpoint))
        form.addRow("Folder:", self._with_browse(self.folder, self._browse_folder))
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("exportButton")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())

        ckpt = current_checkpoint(window)
        if ckpt is not None:
            self.checkpoint.setText(str(ckpt))
        self.format.currentIndexChanged.connect(self._suggest_folder)
        self._suggest_folder()
        if ckpt is None:
            self._say("No trained weights for this design yet: train it first, or pick a checkpoint; "
                      "an empty Weights field exports the untrained model.", error=False)

    @staticmethod
    def _with_browse(edit: QLineEdit, slot: Any) -> QWidget:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(edit, 1)
        button = QPushButton("Browse…")
        button.clicked.connect(slot)
        box.addWidget(button)
        return row

    def _suggest_folder(self) -> None:
        """``<design folder>/<design name>-<format>`` until the user types a folder of their own."""
        if self.folder.isModified():
            return
        doc = self.window_.document
        base = doc.path.parent if doc.path is not None else Path.home()
        name = (doc.design.name or "model").replace("/", "_")
        self.folder.setText(str(base / f"{name}-{self.format.currentData()}"))

    def _browse_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Trained weights", self.checkpoint.text(),
                                              "Checkpoints (*.safetensors)")
        if path:
            self.checkpoint.setText(path)

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export into folder", self.folder.text())
        if path:
            self.folder.setText(path)
            self.folder.setModified(True)

    def _say(self, text: str, error: bool) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b3261e;" if error else "")

    # ------------------------------------------------------------------ running
    def command(self, design_path: Path) -> list[str]:
        """The ``rnn-designer export`` arguments for the form's values."""
        args = ["-m", "engine.cli", "export", str(design_path), "--format", str(self.format.currentData()),
                "--out", self.folder.text().strip()]
        if self.checkpoint.text().strip():
            args += ["--checkpoint", self.checkpoint.text().strip()]
        return args

    def start(self) -> bool:
        """Check the form, snapshot the open design, start the export process; False when it did not start."""
        if self.process is not None:
            return False
        if not self.folder.text().strip():
            self._say("Choose the folder to export into.", error=True)
            return False
        if not self.window_.document.report.compiles:
            self._say("The design has errors (see the Problems panel); fix them before exporting.", error=True)
            return False
        self._snapshot = tempfile.TemporaryDirectory(prefix="rnn-designer-export-")
        design_path = Path(self._snapshot.name) / "design.rnnd"
        try:
            save_design(self.window_.document.design, design_path)
        except Exception as exc:  # a snapshot that cannot be written: say why, keep the form
            self._say(f"Cannot write a snapshot of the design: {exc}", error=True)
            return False
        self.process = QProcess(self)
        self.process.setProgram(sys.executable)
        self.process.setArguments(self.command(design_path))
        self.process.finished.connect(self._finished)
        self.export_button.setEnabled(False)
        slow = " (ONNX: each graph is traced and checked in onnxruntime; this takes a few seconds)" \
            if self.format.currentData() == "onnx" else ""
        self._say(f"Exporting…{slow}", error=False)
        self.process.start()
        return True

    def _finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        process, self.process = self.process, None
        assert process is not None
        out = bytes(process.readAllStandardOutput().data()).decode("utf-8", "replace").strip()
        err = bytes(process.readAllStandardError().data()).decode("utf-8", "replace").strip()
        process.deleteLater()
        if self._snapshot is not None:
            self._snapshot.cleanup()
            self._snapshot = None
        self.export_button.setEnabled(True)
        ok = code == 0
        if ok:
            text = out.splitlines()[0] if out else f"exported to {self.folder.text()}"
            text = text[0].upper() + text[1:]
        else:
            errors = [line for line in err.splitlines() if line.startswith("error:")]
            text = (errors[-1][len("error:"):].strip() if errors else (err.splitlines() or ["the export failed"])[-1])
            text = "Not exported: " + text
        self._say(text, error=not ok)
        show = getattr(self.window_, "show_status", None)
        if show is not None:
            show(text)
        self.finished_export.emit(ok, text)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        if self.process is not None:  # closing ends a running export: nothing half-written is kept
            self.process.kill()
            self.process.waitForFinished(3000)
        super().closeEvent(event)


def open_export_dialog(window: Any) -> ExportDialog:
    """Show the window's export dialog (one per window), raised if already open."""
    dialog = getattr(window, "_export_dialog", None)
    if dialog is None:
        dialog = ExportDialog(window)
        window._export_dialog = dialog
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
