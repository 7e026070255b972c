"""The training panel's file actions: Save checkpoint (beside the design), Load checkpoint, Export
metrics (CSV). A mix-in of :class:`~designer.training.panel.TrainingPanel`; errors are the
engine's own messages, shown in a dialog and on the status line."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine.errors import DesignerError

from .run_files import default_checkpoint_path, default_metrics_path, load_run_checkpoint, save_run_checkpoint
from .session import TrainedModel

CHECKPOINT_FILTER = "Checkpoints (*.safetensors);;All files (*)"
CSV_FILTER = "CSV files (*.csv);;All files (*)"


class RunFileActions:
    """Needs ``document``, ``continuation``, ``trained``, ``last_outcome``, ``history``, ``info``,
    ``form``, ``say`` and ``modelTrained`` from the panel."""

    def save_checkpoint(self, path: str | Path | None = None) -> Path | None:
        """Save the last run's weights; by default beside the design as ``<design>-step<N>``."""
        run = self.continuation
        if run is None or self.running:
            return None
        design = self.document.design
        if run.design_hash != design.structure_hash():
            self.say("The design changed since these weights were trained; they no longer fit it.", "error")
            return None
        if path is None:
            path = default_checkpoint_path(self.document.path, design.name, run.step)
            if path is None:  # a design never saved: ask where
                chosen, _ = QFileDialog.getSaveFileName(self, "Save checkpoint", f"{design.name or 'design'}-"
                                                        f"step{run.step}.safetensors", CHECKPOINT_FILTER)
                if not chosen:
                    return None
                path = chosen
        try:
            saved = save_run_checkpoint(Path(path), run)
        except (OSError, DesignerError) as exc:
            message = f"Cannot save the checkpoint to {path}: {getattr(exc, 'strerror', None) or exc}"
            self.say(message, "error")
            QMessageBox.warning(self, "Cannot save checkpoint", message)
            return None
        if self.trained is not None:
            self.trained.checkpoint_path = saved
        self.say(f"Saved the checkpoint (step {run.step}) to {saved}.", "ok")
        return saved

    def load_checkpoint(self, path: str | Path | None = None) -> TrainedModel | None:
        """Load a checkpoint made for the open design: its weights become the ones a next run goes on
        from, and ``modelTrained`` tells the other panels."""
        if self.running:
            return None
        if path is None:
            start = str(self.document.path.parent) if self.document.path else str(Path.home())
            chosen, _ = QFileDialog.getOpenFileName(self, "Load checkpoint", start, CHECKPOINT_FILTER)
            if not chosen:
                return None
            path = chosen
        try:
            trained, run, choice = load_run_checkpoint(Path(path), self.document.design)
        except DesignerError as exc:
            self.say(str(exc), "error")
            QMessageBox.warning(self, "Cannot load checkpoint", str(exc))
            return None
        self.form.select_task(choice)
        self.continuation, self.trained = run, trained
        self._last_failed = False
        self._update_weights_note()
        self.save_button.setEnabled(True)
        self.say(f"Loaded {trained.checkpoint_path} (step {trained.step}); Start goes on from it.", "ok")
        self.modelTrained.emit(trained)
        return trained

    def export_metrics(self, path: str | Path | None = None) -> Path | None:
        """Write every step's loss and every validation as CSV (the columns of the CLI's metrics.csv)."""
        if not len(self.history.steps):
            return None
        if path is None:
            start = default_metrics_path(self.document.path, self.document.design.name)
            chosen, _ = QFileDialog.getSaveFileName(self, "Export metrics", str(start), CSV_FILTER)
            if not chosen:
                return None
            path = chosen
        metrics = list(self.info.get("metrics") or ["loss"])
        try:
            written = self.history.write_csv(path, metrics)
        except OSError as exc:
            message = f"Cannot write {path}: {exc.strerror or exc}"
            self.say(message, "error")
            QMessageBox.warning(self, "Cannot export metrics", message)
            return None
        self.say(f"Exported {len(self.history.steps)} steps and {len(self.history.validations)} validations "
                 f"to {written}.", "ok")
        return written
