"""The training panel: the form, Start / Pause / Stop, progress, results, and the live plots.

Signals:

- ``modelTrained(TrainedModel)`` — a run ended (finished or stopped) with usable weights, or a
  checkpoint was loaded; see :class:`~designer.training.session.TrainedModel`;
- ``runFinished(RunOutcome)`` / ``runFailed(str)`` — how a run ended;
- ``runningChanged(bool)`` — a run began or ended (the window locks the design meanwhile).

A run trains a copy of the design in a process of its own (:mod:`designer.training.controller`),
which writes a run folder and its live event stream; the panel only reads the stream and draws
it. :meth:`TrainingPanel.watch_run` follows a run some other process writes (``rnn-designer
train`` in a terminal, rank 0 of a torchrun job), or shows a finished one. Pressing Start again
goes on from the last run's checkpoint (weights, optimizer, data order) while the design and
the task are unchanged; after a structural edit, another task or a failed run it starts from
fresh weights, and says which. A run process that dies leaves the window as it was, with a
message naming what happened and the last good checkpoint offered.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from engine.document.blocks import BLOCKS
from engine.errors import DesignerError

from ..problems import refusal_text
from .controller import TrainingController
from .history import RunHistory
from .live_feed import TrainingUpdate
from .panel_files import RunFileActions
from .panel_layout import build_panel
from .panel_runs import RunFolderActions, task_entry
from .probe_inputs import ProbeInputs
from .probe_pages import show_probe_page
from .run_files import new_run_dir
from .session import Continuation, RunFailure, RunOutcome, RunRequest, TrainedModel

STATUS_COLORS = {"info": "#3b4252", "note": "#a15c00", "error": "#c62828", "ok": "#2e7d32"}
RATE_WINDOW_S = 3.0
DRAW_MS = 200  # while a run goes on, the page in front is redrawn at most 5 times a second
DRAW_BUSY_MS = 1000  # ... and once a second while the run keeps every core busy (the window takes little from it)


def format_duration(seconds: float) -> str:
    if not np.isfinite(seconds) or seconds < 0:
        return "—"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class TrainingPanel(RunFolderActions, RunFileActions, QWidget):
    modelTrained = Signal(object)  # TrainedModel
    runFinished = Signal(object)  # RunOutcome
    runFailed = Signal(str)
    runningChanged = Signal(bool)

    def __init__(self, document: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainPanel")
        self.document = document
        self.controller = TrainingController(self)
        self.history = RunHistory()
        self.continuation: Continuation | None = None  # what the next Start may go on from
        self.trained: TrainedModel | None = None
        self.last_outcome: RunOutcome | None = None
        self.info: dict[str, Any] = {}
        self.probe_inputs: ProbeInputs | None = None
        self.status_text = ""
        self._run_design = None
        self._pending: Continuation | None = None  # the continuation handed to the run in progress
        self._last_failed = False
        self._started_at = 0.0
        self._start_note = ("", "info")
        self._prewarmed = False
        build_panel(self)
        self._draw_timer = QTimer(self)  # updates gather in the history; a timer draws what is in front
        self._draw_timer.setObjectName("plotDrawTimer")
        self._draw_timer.setSingleShot(True)
        self._draw_timer.setInterval(DRAW_MS)
        self._draw_timer.timeout.connect(self._draw)
        self._drawn: dict[str, int] = {}  # page → the history version it last showed
        self._version = 0  # bumped by every update
        self._trace_version = 0  # bumped by every new probe trace
        self.plot_tabs.currentChanged.connect(lambda _i: self._draw())
        self.form.set_document(document)  # the form is a view of the design's task and training
        self._history_plan: str | None = None  # "fresh" or "continued": what the plots do once the run begins
        self._paused_said = False
        self.controller.began.connect(self._begin_history)  # before _on_began draws anything
        self.controller.began.connect(self._on_began)
        self.controller.updated.connect(self._on_update)
        self.controller.finished.connect(self._on_finished)
        self.controller.failed.connect(self._on_failed)
        self.controller.running_changed.connect(self._on_running_changed)
        self.controller.paused_changed.connect(self._on_paused_changed)
        self.picker.changed.connect(self._on_probe_picked)
        self.run_list.comparisonChanged.connect(self.compare_runs)
        self.log_scale.toggled.connect(self.loss_plot.set_log_scale)
        document.design_replaced.connect(self._on_design_replaced)
        document.checked.connect(lambda _report: self._update_weights_note())
        self._on_design_replaced(document.design)
        self._on_running_changed(False)

    # ================================================================== state
    @property
    def running(self) -> bool:
        return self.controller.running

    def say(self, text: str, kind: str = "info") -> None:
        """The panel's status line (errors in red, notes in amber)."""
        self.status_text = text
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {STATUS_COLORS.get(kind, STATUS_COLORS['info'])};")

    def _on_design_replaced(self, design: Any) -> None:
        if self.running:
            self.controller.stop()
            self.say("Another design was opened: the run was stopped.", "note")
        self._update_weights_note()

    def _update_weights_note(self) -> None:
        run = self.continuation
        if self.running:
            text = "Weights: being trained."
        elif run is None:
            text = "Weights: fresh at the next run."
        elif run.design_hash != self.document.design.structure_hash():
            text = "Weights: the design changed since they were trained — the next run starts fresh."
        else:
            text = f"Weights: trained for {run.step} steps — Start goes on from them."
        self.weights_note.setText(text)
        self.reset_button.setEnabled(run is not None and not self.running)

    # ================================================================== control
    def start(self) -> bool:
        """Start a run with the form's settings; False (with the reason shown) when it cannot."""
        if self.running:
            return False
        report = self.document.report
        if report.errors:  # nothing on screen changes but this line (the window brings Problems forward)
            n = len(report.errors)
            self.say(f"{refusal_text(report)} To train, fix {'them' if n != 1 else 'it'} first (the Problems list "
                     "shows each problem).", "error")
            return False
        try:
            choice = self.form.task_choice()
            settings = self.form.settings()
        except (DesignerError, ValueError) as exc:
            self.say(str(exc), "error")
            return False
        design = self.document.design
        digest = design.structure_hash()
        prev, note, kind = self.continuation, "", "info"
        if prev is not None and prev.design_hash != digest:
            prev, note, kind = None, "The design changed since the last run: training starts from fresh weights.", "note"
        elif prev is not None and prev.task_key != choice.key():
            prev, note, kind = None, "The task changed: training starts from fresh weights.", "note"
        elif prev is None and self._last_failed:
            note, kind = "The last run's weights were not usable: training starts from fresh weights.", "note"
        elif prev is None:
            note = f"Training from fresh weights (seed {settings.get('seed', 0)})."
        else:
            note = f"Continuing from step {prev.step} with the last run's weights."
        device = settings.get("device", "auto")
        threads = self.form.thread_count() if device in ("auto", "cpu") else None
        self._run_design = run_design = design.copy()
        run_design.metadata["task"] = task_entry(choice)  # the run reads the document, as the CLI does
        run_design.metadata["training"] = dict(settings)
        try:
            run_dir = new_run_dir(self.document.path, design.name)
        except OSError as exc:
            self.say(f"Cannot create the run folder: {exc}", "error")
            return False
        self._pending, self.continuation = self.continuation, None
        self._last_failed = False
        # the plots keep the last run until this one begins: a run refused before its first step leaves them
        self._history_plan = "fresh" if prev is None else "continued"
        self._started_at = time.perf_counter()
        processes = int(getattr(self.form, "process_count", lambda: 1)())
        self.controller.start(RunRequest(run_design, digest, choice, settings, run_dir, prev, threads=threads,
                                         processes=processes))
        self._start_note = (note, kind)  # stays on the status line while the run goes on
        self.say(note + " Preparing the data…", kind)
        return True

    def toggle_pause(self) -> None:
        if self.controller.watching or self.controller.distributed:
            self.say("This run cannot be held from here: "
                     + ("it belongs to another process (Stop stops following it)." if self.controller.watching
                        else "its processes train together; Stop ends them all, keeping the last checkpoint."),
                     "note")
        elif self.controller.paused:
            self.controller.resume()
        else:
            self.controller.pause()

    def stop(self) -> None:
        if self.running:
            self.controller.stop()
            if self.running:
                self.say("Stopping after the batch in flight…")

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        """The first time the panel shows, a spare run process starts importing torch."""
        super().showEvent(event)
        self.refresh_runs()
        if not self._prewarmed:
            self._prewarmed = True
            self.controller.prewarm()

    def reset_weights(self) -> None:
        """Forget the last run's weights: the next run starts fresh."""
        if self.running:
            return
        self.continuation = None
        self._update_weights_note()
        self.say("The next run starts from fresh weights.")

    def clear_for_new_design(self) -> None:
        """Another design took the window (New, a template, Open): nothing of the previous design's
        run stays — plots, results, probes, weights, trained model — and the run list shows the new
        design's runs. (The window asks about a run or an unsaved model first: designer.close_guard.)"""
        if self.running:
            self.controller.stop()
        self._clear_run()
        self.continuation = self._pending = self.trained = self.last_outcome = None
        self.info, self.probe_inputs, self._run_design, self._last_failed = {}, None, None, False
        self.picker.set_inputs(None)
        self.picker.set_trace({}, {})
        self.say("")
        self._on_running_changed(self.running)
        self.refresh_runs()

    def shutdown(self) -> None:
        """End a run and the spare process and wait for both (the window is closing)."""
        self.controller.shutdown()

    def select_block(self, node_id: str) -> bool:
        """Show ``node_id``'s probes (what selecting it on the canvas does)."""
        return self.picker.select_block(node_id)

    # ================================================================== the run's messages
    def _on_running_changed(self, running: bool) -> None:
        self._draw_timer.setInterval(DRAW_BUSY_MS if self.controller.busy else DRAW_MS)
        self.form.set_running(running)
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running and not self.controller.watching and not self.controller.distributed)
        self.stop_button.setEnabled(running)
        self.load_button.setEnabled(not running)
        done = not running and self.continuation is not None
        self.save_button.setEnabled(done)
        self.export_button.setEnabled(not running and len(self.history.steps) > 0)
        self._on_paused_changed(False)
        self._update_weights_note()
        self.runningChanged.emit(running)

    def _on_paused_changed(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if paused:
            self._paused_said = True
            self.say(f"Paused at step {self.history.step}. Resume goes on from there.")
        elif self._paused_said:  # the status line describes the present: not "Paused" once it runs again
            self._paused_said = False
            if self.running:
                self.say(f"Running from step {self.history.step}…")

    def _begin_history(self, _info: Any = None) -> None:
        """The run began: a fresh run's plots start empty now, a continued run's go on."""
        plan, self._history_plan = self._history_plan, None
        if plan == "fresh":
            self._clear_run()
        elif plan == "continued":
            self.history.begin_continued_run()

    def _on_began(self, info: dict[str, Any]) -> None:
        self.info = info
        self.probe_inputs = ProbeInputs.from_labels(info.get("probe_inputs"))
        self.picker.set_inputs(self.probe_inputs)
        marked = sorted(self.probe_inputs.emphasis(0, False)) if self.probe_inputs else []
        self.loss_plot.set_reach_step(marked[0] if marked else 0, bool(marked))  # how far back the gradient gets
        metrics = [m for m in info["metrics"] if m != "loss"] or ["grad_norm"]
        self.loss_plot.set_metrics(metrics)
        self.progress.setRange(0, max(1, int(info["total_steps"])))
        first = int(self.history.steps.values[0]) if len(self.history.steps) else int(info["start_step"])
        self.loss_plot.set_step_range(min(first, int(info["start_step"])), int(info["total_steps"]))
        self.progress.setValue(int(info["start_step"]))
        notes = "".join(f" Note: {n}." for n in info.get("notes", []))
        note, kind = self._start_note
        self.say(f"{note} On {info['device']}: {info['task_title']} ({info['task']}), "
                 f"{info['parameters']:,} parameters.{notes}", "note" if notes else kind)

    def _on_update(self, update: TrainingUpdate) -> None:
        """Keep what arrived; the page in front is drawn within :data:`DRAW_MS` (all of them at the end)."""
        self.history.add(update)
        self._version += 1
        if update.trace is not None:
            self._trace_version += 1
            titles = {b: self._block_title(b) for b in update.trace}
            self.picker.set_trace(update.trace, titles)
        if self.controller.paused and len(update.steps):  # the batch in flight when Pause was pressed has landed
            self._on_paused_changed(True)
            self.draw_all()
        elif not self._draw_timer.isActive():
            self._draw_timer.start()

    def draw_all(self) -> None:
        """Bring every page up to date now (a run ended or paused; a test reads them)."""
        self._draw_timer.stop()
        self._draw(every_page=True)

    def _draw(self, every_page: bool = False) -> None:
        pages = list(self.plot_tabs.pages) if every_page else [self.plot_tabs.current_key()]
        if self._drawn.get("progress") != self._version:
            self._drawn["progress"] = self._version
            self._update_progress()
        for page in pages:
            version = self._version if page == "loss" else self._trace_version
            if self._drawn.get(page) == version:
                continue
            self._drawn[page] = version
            if page == "loss":
                self._draw_loss()
            else:
                self._show_probe(page)

    def _draw_loss(self) -> None:
        h = self.history
        val_steps, val_loss = h.validation_series("loss")
        metrics = {m: (h.steps.values.astype(float), h.grad_norms.values) if m == "grad_norm"
                   else h.validation_series(m) for m in self.loss_plot.metric_names}
        self.loss_plot.set_history(h.steps.values, h.losses.values, val_steps, val_loss, metrics)
        self.loss_plot.set_reach(*h.gradient_reach(self.picker.key, self.loss_plot.reach_step))

    def _block_title(self, node_id: str) -> str:
        design = self._run_design or self.document.design
        node = design.nodes.get(node_id)
        return f"{node_id} · {BLOCKS[node.kind].title}" if node is not None and node.kind in BLOCKS else node_id

    def _update_progress(self) -> None:
        h = self.history
        step = h.step
        total = int(self.info.get("total_steps", step) or step)
        self.progress.setValue(min(step, self.progress.maximum()))
        sec, steps = h.seconds.values, h.steps.values
        rate = float("nan")
        if len(sec) >= 2:
            j = int(np.searchsorted(sec, sec[-1] - RATE_WINDOW_S))
            j = min(j, len(sec) - 2)
            if sec[-1] > sec[j]:
                rate = (steps[-1] - steps[j]) / (sec[-1] - sec[j])
        left = (total - step) / rate if rate > 0 else float("nan")
        self.rate_label.setText(f"step {step:,} / {total:,} · "
                                + (f"{rate:.1f} steps/s · {format_duration(left)} left" if rate > 0 else "measuring…"))
        self.progress.setFormat(f"{100 * step / max(1, total):.0f}%")

    def _on_probe_picked(self, *_args: Any) -> None:
        self._trace_version += 1  # another block, layer, direction or sequence: what the user asked to see
        self._draw(every_page=True)

    def _show_probe(self, page: str) -> None:
        """Show the newest probe on ``page`` (gates, states, gradients or attention)."""
        show_probe_page(self, page)

    def _on_finished(self, outcome: RunOutcome) -> None:
        self.last_outcome = outcome
        self.continuation = outcome.continuation
        self.trained = outcome.trained
        self._pending = None
        r = outcome.result
        seconds = time.perf_counter() - self._started_at
        words = {"finished": "Finished", "stopped": "Stopped", "early_stopped": "Stopped early (no improvement)",
                 "time_limit": "Stopped at the time limit"}.get(r["status"], r["status"])
        model_note = f" Note: {r['model_note']}." if r.get("model_note") else ""
        warnings = "".join(f" Warning: {w[:1].upper()}{w[1:]}." for w in r.get("warnings") or [])
        self.say(f"{words} at step {r['step']} after {format_duration(seconds)}.{model_note}{warnings}",
                 "note" if warnings else "ok")
        self.results.show_results(r["status"], r["step"], r.get("val") or {}, r.get("main_metric", "loss"),
                                  r.get("best"), r.get("best_step"), outcome.samples)
        self.draw_all()
        self._on_running_changed(False)
        self.refresh_runs()
        if outcome.trained is not None:
            self.modelTrained.emit(outcome.trained)
        self.runFinished.emit(outcome)

    def _on_failed(self, failure: RunFailure) -> None:
        message = failure.message
        if failure.last_good is not None and failure.last_good.step > 0:
            self.continuation = failure.last_good  # a crash: its last checkpoint is good to go on from
        elif failure.touched:  # the weights went bad (or may have): the next run starts fresh
            self._last_failed = True
        else:  # it never trained: the last run's weights are as good as before
            self.continuation = self._pending
        self._pending = None
        self.draw_all()
        self.say(message, "note" if failure.quiet else "error")
        self._on_running_changed(False)
        self.refresh_runs()
        if not failure.quiet:
            QMessageBox.warning(self, "Training stopped", message)
        self.runFailed.emit(message)

    def _clear_run(self) -> None:
        self.history = RunHistory()
        self._draw_timer.stop()
        self._drawn.clear()
        self.plot_tabs.set_page_visible("attention", False)
        self.loss_plot.reset()
        self.gate_plot.reset()
        self.state_plot.reset()
        self.gradient_plot.reset()
        self.attention_plot.reset()
        self.results.reset()
        self.probe_step.setText("")
        self.progress.setValue(0)
        self.rate_label.setText("")

