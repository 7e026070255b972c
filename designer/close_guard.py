"""Before a run or a trained model is left behind: Stop and keep the checkpoint / Discard / Cancel.

Closing the window, New, New from Template, a welcome card and Open all replace (or end) the
design the training panel works on. :func:`confirm_leaving` asks first when

- a run is in progress (the window's own run, or one it watches), or
- the panel holds a trained model that is **not kept**: one a user could not find again.

*Kept* is decided as a user would see it (:func:`model_is_kept`): every run already writes its
checkpoints into a run folder on disk (``engine.training.run_index``, docs/runs.md), and the
Training panel lists a design's runs when its file opens again — so a model is kept when its
checkpoint lies in the run history of the design's file (``runs/<design>-…`` beside it), or when
the user saved it elsewhere (Save Checkpoint). A design that was never saved has no file leading
back to its runs (they train into the app's scratch run folder), so its trained model counts as
unsaved, and so does a model whose checkpoint is gone.

The answers:

- **Stop and keep the checkpoint** — a run stops after the batch in flight and writes its
  checkpoint (waited for here, so nothing of it arrives after the next design opened); when that
  checkpoint would not be findable (the design has no file) Save Checkpoint asks where to keep it;
  cancelling that file dialog cancels the whole action;
- **Discard** — a run stops too, and its model is not kept anywhere new (what its run folder
  already holds stays on disk: nothing is deleted);
- **Cancel** — nothing changes: the run goes on, the design stays open.

The question is asked by :func:`ask`, a module function a test (or a headless caller) replaces, so
nothing here ever blocks without a user to answer.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

if TYPE_CHECKING:
    from .main_window import MainWindow

Button = QMessageBox.StandardButton
KEEP, DISCARD, CANCEL = Button.Save, Button.Discard, Button.Cancel
STOP_WAIT_MS = 10_000  # the controller terminates a run that has not stopped 5 s after Stop, kills it 2 s later


def ask(parent: QWidget | None, title: str, text: str, informative: str, keep_label: str) -> QMessageBox.StandardButton:
    """The three-button question: returns KEEP (Save), DISCARD or CANCEL."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, KEEP | DISCARD | CANCEL, parent)
    box.setObjectName("runGuardQuestion")
    box.button(KEEP).setText(keep_label)
    box.setInformativeText(informative)
    box.setDefaultButton(KEEP)
    box.setEscapeButton(CANCEL)
    return Button(box.exec())


def _under(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def model_is_kept(checkpoint: Path | None, design_path: Path | None, design_name: str) -> bool:
    """Whether a user could find the trained model with checkpoint ``checkpoint`` again after
    leaving the design (at ``design_path``, None when never saved); see the module's docstring."""
    from .training.run_files import run_prefix, runs_root

    if checkpoint is None or not Path(checkpoint).exists():
        return False
    checkpoint = Path(checkpoint)
    if design_path is not None:
        root = runs_root(design_path)
        if _under(checkpoint, root):
            run_folder = checkpoint.resolve().relative_to(root.resolve()).parts[0]
            if run_folder.startswith(run_prefix(design_path, design_name)):
                return True  # in the design's own run history
    return not _under(checkpoint, runs_root(None))  # saved by the user outside the scratch runs


def unsaved_model(panel: Any, document: Any) -> bool:
    """The panel holds a trained model for this design that :func:`model_is_kept` says is not kept."""
    trained = getattr(panel, "trained", None)
    if trained is None:
        return False
    return not model_is_kept(trained.checkpoint_path, document.path, document.design.name)


def wait_for_run_end(panel: Any, timeout_ms: int = STOP_WAIT_MS) -> bool:
    """Stop the panel's run and wait (the window stays responsive) until it has ended; True when it did."""
    if not panel.running:
        return True
    loop = QEventLoop()

    def changed(running: bool) -> None:
        if not running:
            loop.quit()

    timer = QTimer()
    timer.setObjectName("runStopWait")
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    panel.runningChanged.connect(changed)
    timer.start(timeout_ms)
    try:
        panel.stop()
        if panel.running:
            loop.exec()
    finally:
        timer.stop()
        panel.runningChanged.disconnect(changed)
    return not panel.running


def confirm_leaving(window: MainWindow, doing: str) -> bool:
    """Ask before ``doing`` (“closing the window”, “opening another design”, …) ends a run or leaves
    an unsaved trained model behind; True when it may go on (the run, if any, has ended)."""
    panel = window.training_panel
    if panel is None:
        return True
    running = bool(panel.running)
    if not running and not unsaved_model(panel, window.document):
        return True
    name = window.document.display_name()
    if running:
        text = f"A training run of “{name}” is in progress."
        informative = (f"Before {doing}: stop it and keep its checkpoint, or discard the run (its folder keeps "
                       "what it wrote so far).")
        keep_label = "Stop and Keep the Checkpoint"
    else:
        text = f"The model trained for “{name}” has not been saved."
        informative = (f"The design has no file, so its runs cannot be found again after {doing}. "
                       "Keep the checkpoint to save the trained weights where you choose.")
        keep_label = "Keep the Checkpoint…"
    answer = ask(window, "Training", text, informative, keep_label)
    if answer not in (KEEP, DISCARD):
        return False
    if running and not wait_for_run_end(panel):
        window.show_status("The run did not stop; nothing was changed. Try again, or close the window to end it.")
        return False
    if answer == KEEP and unsaved_model(panel, window.document):
        if panel.save_checkpoint() is None:  # the file dialog was cancelled (or the save failed)
            return False
    return True


def fresh_panels(window: MainWindow) -> None:
    """Another design took the window's place (New, a template or example, Open): nothing of the
    previous design's run stays in the training panel or the beam explorer."""
    for key, method in (("training", "clear_for_new_design"), ("beam", "clear_model")):
        widget = window.panel_widget(key)
        clear = getattr(widget, method, None)
        if clear is not None:
            clear()
