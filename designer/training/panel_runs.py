"""The training panel's run folders: watch a run another process writes, list the design's runs
and overlay the ones ticked. A mix-in of :class:`~designer.training.panel.TrainingPanel`."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .run_files import run_prefix, runs_root
from .run_list import load_series, run_label


class RunFolderActions:
    """Needs ``document``, ``controller``, ``run_list``, ``loss_plot``, ``picker``, ``continuation``,
    ``say`` and ``_clear_run`` from the panel."""

    def watch_run(self, path: str | Path) -> bool:
        """Follow the run whose folder is ``path`` (started from a terminal, or rank 0 of torchrun)
        until it ends; a finished run opens as history. False (with the reason shown) when it cannot."""
        folder = Path(path)
        if folder.is_file():
            folder = folder.parent
        if self.running:
            self.say("A run is in progress: stop it before watching another.", "error")
            return False
        if not (folder / "events.jsonl").exists():
            self.say(f"{folder}: no run's event stream here (events.jsonl); choose a run folder written by "
                     "rnn-designer train or the window.", "error")
            return False
        self._clear_run()
        self._run_design = None
        self._pending = self.continuation
        self._started_at = time.perf_counter()
        self._start_note = (f"Watching the run in {folder}.", "info")
        self.say(self._start_note[0])
        self.controller.watch(folder)
        return True

    def choose_run_folder(self) -> Path | None:
        """Ask for a run folder to watch (starting in the design's runs), None when cancelled."""
        from PySide6.QtWidgets import QFileDialog

        start = runs_root(self.document.path)
        chosen = QFileDialog.getExistingDirectory(self, "Watch a run: choose its folder",
                                                  str(start if start.exists() else Path.home()))
        return Path(chosen) if chosen else None

    def refresh_runs(self) -> None:
        """List the open design's runs (its folder may have changed with a Save As)."""
        self.run_list.set_folder(runs_root(self.document.path), run_prefix(self.document.path,
                                                                          self.document.design.name))
        self.run_list.refresh()

    def compare_runs(self, folders: list[Path]) -> None:
        """Overlay the curves of the runs in ``folders`` (two or more; fewer clears the overlay): each
        one's loss, main metric and ‖∂L/∂h_t‖ at the step the reach plot follows, over training."""
        runs = []
        if len(folders) >= 2:
            for folder in folders:
                history, begin = load_series(Path(folder))
                metric = begin.get("main_metric") or "loss"
                label = run_label(Path(folder).name, self.run_list.prefix, list(begin.get("cells") or []))
                runs.append((label, history.steps.values, history.losses.values, *history.validation_series(metric),
                             *history.gradient_reach(self.picker.key, self.loss_plot.reach_step)))
        self.loss_plot.set_overlays(runs)


def task_entry(choice: Any) -> dict[str, Any]:
    """A design's ``metadata["task"]`` for the form's task choice (the inverse of ``TaskChoice.from_metadata``)."""
    entry: dict[str, Any] = {"name": choice.name, **choice.param_dict}
    if choice.path is not None:
        entry["path"] = choice.path
    return entry
