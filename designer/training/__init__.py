"""Train from the window: the training panel, the run processes it starts and watches, and its live plots.

:class:`TrainingDock` is the panel as one of the window's panels (:class:`designer.panels.Panel`):
the panel as a dock (``trainPanel``), the actions ``actionTrain`` (F5) and ``actionStop``
(Shift+F5) in a Train menu and on the toolbar, the document locked against model edits while a
run goes on (the canvas shows why), and canvas selection → the probes of the selected block.

For other panels (the beam explorer): ``TrainingPanel.modelTrained = Signal(object)`` is emitted
with a :class:`~designer.training.session.TrainedModel` — ``(model, task, design_hash,
checkpoint_path | None, metrics, step)`` — when a run ends (finished or stopped) with usable
weights, and when a checkpoint is loaded. ``model`` is the compiled design in eval mode on the
device it trained on; compare ``design_hash`` with ``window.document.design.structure_hash()``
before decoding with it. A run that fails (the loss is no longer finite) emits nothing.

Modules, one idea each: :mod:`.session` (records passed around), :mod:`.worker` (a run process
and the spare kept ready), :mod:`.controller` (starting, stopping and following a run),
:mod:`.live_feed` (what a run's event stream added since the last look), :mod:`.history`,
:mod:`.panel` / :mod:`.panel_layout` (the plot pages) / :mod:`.panel_files` / :mod:`.panel_runs`,
:mod:`.settings_form` / :mod:`.form_fields`, :mod:`.catalog`, the plots (:mod:`.loss_plot`,
:mod:`.gate_plot`, :mod:`.state_plot`, :mod:`.gradient_plot`, :mod:`.attention_plot` on
:mod:`.heatmap`), :mod:`.probe_picker`, :mod:`.probe_inputs`, :mod:`.results_view`,
:mod:`.run_list`, :mod:`.run_files`, :mod:`.install`. Nothing here imports torch until a list
is opened or a checkpoint is loaded: training happens in the run's process.
"""
from __future__ import annotations

from .install import TrainingDock
from .panel import TrainingPanel
from .session import TrainedModel

__all__ = ["TrainingDock", "TrainingPanel", "TrainedModel"]
