"""The training form's fields, their constants and how their text reads — the widgets and their
layout, apart from how the form keeps them in step with the document (:mod:`.settings_form`)."""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton

from ..field_widgets import FieldNote, GuardedComboBox, GuardedDoubleSpinBox, GuardedSpinBox
from . import catalog

FILE_ITEM = "__file__"
DATA_FILTER = "Data files (*.csv *.tsv *.txt);;All files (*)"
LR_PRESETS = ("0.0001", "0.0003", "0.001", "0.003", "0.01", "0.03", "0.1")
# engine.training.SCHEDULES, listed here so the form opens without torch (a test keeps them equal)
SCHEDULES = {"constant": "the same learning rate throughout",
             "cosine": "cosine decay to 5% of the learning rate at the last step",
             "plateau": "halve the learning rate when a validation does not improve"}
# engine.training.TrainSettings' defaults: what runs when the metadata leaves a setting out (a test keeps them equal)
DEFAULTS: dict[str, Any] = {"optimizer": "adam", "lr": 1e-3, "lr_schedule": "constant", "batch_size": 32,
                            "epochs": None, "steps": None, "clip": 1.0, "seed": 0, "device": "auto",
                            "eval_every": None, "probe_every": 50}
DEFAULT_EPOCHS = 10  # with neither steps nor epochs, a run is 10 epochs
NO_TASK_NOTE = "This design names no task yet: pick one to train it."


class LazyComboBox(GuardedComboBox):
    """A combo box that runs ``before_popup`` once, the first time its list opens."""

    def __init__(self, object_name: str, before_popup: Callable[[], None]) -> None:
        super().__init__()
        self.setObjectName(object_name)
        self._before_popup: Callable[[], None] | None = before_popup

    def ensure_loaded(self) -> None:
        if self._before_popup is not None:
            load, self._before_popup = self._before_popup, None
            QGuiApplication.setOverrideCursor(QCursor(Qt.CursorShape.WaitCursor))
            try:
                load()
            finally:
                QGuiApplication.restoreOverrideCursor()

    def showPopup(self) -> None:  # noqa: N802 - Qt API
        self.ensure_loaded()
        super().showPopup()


def parse_params(text: str) -> dict[str, Any]:
    """``"seq_len=50, train_size = 2000"`` → a dict (numbers and true/false read as such); an item
    that is not name=value raises :class:`engine.errors.TaskParamError` carrying it."""
    from engine.data import parse_task_params

    items = [t for t in re.split(r"[,\s]+", re.sub(r"\s*=\s*", "=", text.strip())) if t]
    return parse_task_params(items)


def task_label(name: str) -> str:
    """How the Task list names a task, the same whether it was picked or read from a design file:
    "Date translation (dates) · encoder-decoder"; a name the engine does not know, as written."""
    from engine.data import TASKS

    cls = TASKS.get(name)
    return f"{cls.title} ({name}) · {cls.architecture}" if cls is not None else name


def param_example(task: str | None) -> str:
    """One of ``task``'s own parameters at its default, to show how a parameter is written
    (``seq_len=100`` for the adding task); ``seq_len=50`` when the task has none to show."""
    import inspect

    from engine.data import TASKS

    cls = TASKS.get(str(task))
    if cls is not None:
        for p in inspect.signature(cls.__init__).parameters.values():
            if p.name != "seed" and isinstance(p.default, (int, float)) and not isinstance(p.default, bool):
                return f"{p.name}={p.default}"
    return "seq_len=50"


def param_error_text(item: str, task: str | None) -> str:
    """The window's words for a task parameter that is not name=value (the CLI says ``--task-param``)."""
    return f"Task parameter “{item}”: write it as name=value, e.g. {param_example(task)}"


def params_text(params: dict[str, Any]) -> str:
    def show(v: Any) -> str:
        return "true" if v is True else "false" if v is False else str(v)
    return ", ".join(f"{k}={show(v)}" for k, v in params.items() if k != "path")


def parse_lr(text: str) -> float:
    """A learning rate typed by the user; raises ``ValueError`` naming the field."""
    try:
        value = float(text.strip())
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f'learning rate "{text.strip()}": enter a positive number, e.g. 0.003 or 3e-4')
    return value


def build_fields(form: Any) -> None:
    """Create the form's widgets as attributes of ``form`` (``task``, ``params``, ``length`` ...) and
    lay them out in rows."""
    form.task = LazyComboBox("taskCombo", form._load_tasks)
    form.task.setToolTip("A bundled benchmark task, or your own data file; picking a task applies "
                         "its recommended training settings")
    form.params = QLineEdit(objectName="taskParams")
    form.params.setPlaceholderText("task parameters, e.g. seq_len=50")
    form.params.setToolTip("The task's parameters as name=value, separated by commas (e.g. seq_len=50, "
                           "train_size=2000); empty: the task's defaults. Press Enter to apply.")
    form.note = QLabel(objectName="taskNote")
    form.note.setWordWrap(True)
    form.recommended = QPushButton("Use recommended", objectName="useRecommended")
    form.recommended.setToolTip("Put back the task's recommended training settings (measured to reach "
                                "its target on the matching template)")
    form.length = GuardedSpinBox(objectName="lengthSpin", minimum=1, maximum=10_000_000, singleStep=100)
    form.length_unit = GuardedComboBox(objectName="lengthUnit")
    form.length_unit.addItems(["steps", "epochs"])
    form.length_unit.currentTextChanged.connect(lambda unit: form.length.setAccessibleName(unit.capitalize()))
    form.length.setAccessibleName("Steps")
    form.length.setToolTip("How long to train: optimizer steps (one batch each), or epochs (passes over the "
                           "training set)")
    form.batch = GuardedSpinBox(objectName="batchSpin", minimum=1, maximum=65536)
    form.batch.setToolTip("Examples in each training step")
    form.lr = GuardedComboBox(objectName="lrEdit", editable=True)
    form.lr.addItems(LR_PRESETS)
    form.lr.setToolTip("Learning rate: a positive number, e.g. 0.003 or 3e-4")
    form.schedule = GuardedComboBox(objectName="scheduleCombo")
    for i, (name, words) in enumerate(SCHEDULES.items()):
        form.schedule.addItem(name)
        form.schedule.setItemData(i, words, Qt.ItemDataRole.ToolTipRole)
    form.schedule.setToolTip("How the learning rate changes over the run")
    form.optimizer = GuardedComboBox(objectName="optimizerCombo")
    form.optimizer.addItems(["adam", "adamw", "sgd"])
    form.clip = GuardedDoubleSpinBox(objectName="clipSpin", minimum=0.0, maximum=1000.0, decimals=2, singleStep=0.5)
    form.clip.setSpecialValueText("off")
    form.clip.setToolTip("Clip the gradient's norm to this value before each step; off: no clipping")
    form.seed = GuardedSpinBox(objectName="seedSpin", minimum=0, maximum=2**31 - 1)
    form.seed.setToolTip("The seed of the initial weights and of the data order")
    form.eval_every = GuardedSpinBox(objectName="evalEverySpin", minimum=0, maximum=10_000_000)
    form.eval_every.setSpecialValueText("auto")
    form.eval_every.setSuffix(" steps")
    form.eval_every.setToolTip("Steps between validations; auto: at every epoch's end")
    form.probe_every = GuardedSpinBox(objectName="probeEverySpin", minimum=0, maximum=10_000_000)
    form.probe_every.setSpecialValueText("auto")
    form.probe_every.setSuffix(" steps")
    form.probe_every.setToolTip(f"Steps between probes of the gates, states and gradients; auto: every "
                                f"{DEFAULTS['probe_every']} steps")
    form.device = LazyComboBox("deviceCombo", form._load_devices)
    form.device.addItem("Auto (best available)", "auto")
    form.device.addItem("CPU", "cpu")
    form.device.setToolTip("Where to train: the CPU, or any CUDA or Apple (MPS) GPU found")
    form.threads = GuardedSpinBox(objectName="threadsSpin", minimum=1, maximum=max(1, _cpu_count()))
    form.threads.setValue(catalog.default_threads())
    form.threads.setToolTip("CPU threads for training on this machine (not saved with the design); one "
                            "core is left to the window by default")
    form.processes = GuardedSpinBox(objectName="processesSpin", minimum=1, maximum=64)
    form.processes.setToolTip("Training processes on this machine (not saved with the design): more than one "
                              "trains data-parallel through torchrun, rank 0 streaming to the window; the same "
                              "as 'rnn-designer train --nproc N'")

    rows = QFormLayout(form)
    rows.setContentsMargins(0, 0, 0, 0)
    rows.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    rows.addRow("Task", form.task)
    rows.addRow("Parameters", form.params)
    rows.addRow(form.note)
    length = QHBoxLayout()
    length.addWidget(form.length, 1)
    length.addWidget(form.length_unit)
    rows.addRow("Train for", length)
    rows.addRow("Batch size", form.batch)
    rows.addRow("Learning rate", form.lr)
    rows.addRow("Schedule", form.schedule)
    rows.addRow("Optimizer", form.optimizer)
    rows.addRow("Clip gradients", form.clip)
    rows.addRow("Seed", form.seed)
    rows.addRow("Validate every", form.eval_every)
    rows.addRow("Probe every", form.probe_every)
    rows.addRow("Device", form.device)
    workers = QHBoxLayout()  # a row of its own: the form stays narrow and the plots get the width
    workers.addWidget(form.threads)
    workers.addWidget(QLabel("processes"))
    workers.addWidget(form.processes)
    workers.addStretch(1)
    rows.addRow("Threads", workers)
    rows.addRow("", form.recommended)
    names = {form.batch: "Batch size", form.clip: "Clip gradients", form.seed: "Seed", form.eval_every: "Validate every",
             form.probe_every: "Probe every", form.threads: "Threads", form.processes: "Processes"}
    for box, name in names.items():
        box.setAccessibleName(name)
    form.field_note = FieldNote(rows, "fieldNote")  # a typed value that was clamped, under its field
    form.field_note.watch(form.length, *names)


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 1
