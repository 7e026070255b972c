"""Help ▸ Quick Start: the whole journey — build, pick a task, train, watch, step the beam — in a
few lines, in a small window that stays open beside the designer (it is not modal)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

STEPS = (
    ("Build", "Drag blocks from the <b>Blocks</b> palette (or press <b>Tab</b> on the canvas and type), "
              "then drag from an output port to an input port. Or start from <b>File ▸ New from Template</b>: "
              "<i>Encoder-decoder</i> for a translator."),
    ("Pick a task", "In the <b>Training</b> panel choose a task — <i>Date translation</i> for the "
                    "encoder-decoder. Its recommended settings come with it; the <b>Problems</b> list says "
                    "what does not fit yet, and its <b>Fix</b> buttons mend it in one step."),
    ("Train", "When the status bar says <b>ready to train</b>, press <b>Train</b> (F5). The task, the "
              "settings and the design are saved together: <code>rnn-designer train FILE</code> runs the same."),
    ("Watch", "The loss and the validation metric plot live; select a recurrent block on the canvas to see "
              "its gates, states and gradient flow through time."),
    ("Step the beam", "After the run, the <b>Beam Search</b> panel decodes your own input: <b>Step</b> grows "
                      "the tree one token at a time; hover a node to read its score."),
)


def quick_start_html() -> str:
    items = "".join(f"<li><b>{title}.</b> {words}</li>" for title, words in STEPS)
    return (f"<ol style='margin-left: -16px'>{items}</ol>"
            "<p>Every edit — blocks, wires, the task and each setting — is one step of <b>Edit ▸ Undo</b>.</p>")


class QuickStartDialog(QDialog):
    """A small window with the five steps; it stays open while the user follows them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quickStart")
        self.setWindowTitle("Quick Start")
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)
        text = QLabel(quick_start_html(), objectName="quickStartText")
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        text.setFixedWidth(500)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(buttons)
        self.adjustSize()  # as tall as its five steps


def show_quick_start(parent: QWidget) -> QuickStartDialog:
    """Show the parent's Quick Start window (one per window), raised if it is open already."""
    dialog = parent.findChild(QuickStartDialog, "quickStart")
    if dialog is None:
        dialog = QuickStartDialog(parent)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
