"""The training form: which data, how long and how fast to train, and on which device.

Its values start from the open design's metadata (``"task"`` and ``"training"``, the keys the CLI
reads) whenever a design is opened, and are the user's afterwards. The lists of bundled tasks
and devices need torch; they are filled the first time the user opens them or starts a run.
A file the user picks is read at once, and a file the engine cannot use is refused with the
engine's message (the line and what to do), the previous choice staying selected.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QWidget,
)

from engine.errors import DataError, DesignerError

from . import catalog
from .session import TaskChoice

FILE_ITEM = "__file__"
DATA_FILTER = "Data files (*.csv *.tsv *.txt);;All files (*)"
LR_PRESETS = ("0.0001", "0.0003", "0.001", "0.003", "0.01", "0.03", "0.1")
# engine.training.SCHEDULES, listed here so the form opens without torch (a test keeps them equal)
SCHEDULES = {"constant": "the same learning rate throughout",
             "cosine": "cosine decay to 5% of the learning rate at the last step",
             "plateau": "halve the learning rate when a validation does not improve"}
DEFAULTS: dict[str, Any] = {"optimizer": "adam", "lr": 1e-3, "batch_size": 32, "steps": 1000, "clip": 1.0,
                            "seed": 0}
VALIDATIONS_PER_RUN = 20  # "auto" validates this many times over a run given in steps
AUTO_PROBE = (100, 5, 100)  # "auto" probes every steps // 100, at least every 5 and at most every 100 steps
AUTO_PROBE_EPOCHS = 25


class LazyComboBox(QComboBox):
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
    """``"seq_len=50, train_size=2000"`` → a dict (numbers and true/false read as such)."""
    from engine.data import parse_task_params

    items = [t for t in re.split(r"[,\s]+", text.strip()) if t]
    return parse_task_params(items)


def params_text(params: dict[str, Any]) -> str:
    def show(v: Any) -> str:
        return "true" if v is True else "false" if v is False else str(v)
    return ", ".join(f"{k}={show(v)}" for k, v in params.items() if k != "path")


class TrainingForm(QWidget):
    task_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingForm")
        self.task = LazyComboBox("taskCombo", self._load_tasks)
        self.task.setToolTip("A bundled benchmark task, or your own data file")
        self.params = QLineEdit(objectName="taskParams")
        self.params.setPlaceholderText("task parameters, e.g. seq_len=50")
        self.params.setToolTip("The task's parameters as KEY=VALUE, separated by commas (e.g. seq_len=50, "
                               "train_size=2000); empty: the task's defaults")
        self.length = QSpinBox(objectName="lengthSpin", minimum=1, maximum=10_000_000, singleStep=100)
        self.length_unit = QComboBox(objectName="lengthUnit")
        self.length_unit.addItems(["steps", "epochs"])
        self.batch = QSpinBox(objectName="batchSpin", minimum=1, maximum=65536)
        self.lr = QComboBox(objectName="lrEdit", editable=True)
        self.lr.addItems(LR_PRESETS)
        self.lr.setToolTip("Learning rate: a positive number, e.g. 0.003 or 3e-4")
        self.schedule = QComboBox(objectName="scheduleCombo")
        for i, (name, words) in enumerate(SCHEDULES.items()):
            self.schedule.addItem(name)
            self.schedule.setItemData(i, words, Qt.ItemDataRole.ToolTipRole)
        self.schedule.setToolTip("How the learning rate changes over the run")
        self.optimizer = QComboBox(objectName="optimizerCombo")
        self.optimizer.addItems(["adam", "adamw", "sgd"])
        self.clip = QDoubleSpinBox(objectName="clipSpin", minimum=0.0, maximum=1000.0, decimals=2, singleStep=0.5)
        self.clip.setSpecialValueText("off")
        self.clip.setToolTip("Clip the gradient's norm to this value before each step; off: no clipping")
        self.seed = QSpinBox(objectName="seedSpin", minimum=0, maximum=2**31 - 1)
        self.seed.setToolTip("The seed of the initial weights and of the data order")
        self.eval_every = QSpinBox(objectName="evalEverySpin", minimum=0, maximum=10_000_000)
        self.eval_every.setSpecialValueText("auto")
        self.eval_every.setSuffix(" steps")
        self.eval_every.setToolTip(f"Steps between validations; auto: {VALIDATIONS_PER_RUN} over a run given "
                                   "in steps, at every epoch's end otherwise")
        self.probe_every = QSpinBox(objectName="probeEverySpin", minimum=0, maximum=10_000_000)
        self.probe_every.setSpecialValueText("auto")
        self.probe_every.setSuffix(" steps")
        self.probe_every.setToolTip("Steps between probes of the gates, states and gradients; auto: about 100 "
                                    "per run (every 5 to 100 steps)")
        self.device = LazyComboBox("deviceCombo", self._load_devices)
        self.device.addItem("Auto (best available)", "auto")
        self.device.addItem("CPU", "cpu")
        self.device.setToolTip("Where to train: the CPU, or any CUDA or Apple (MPS) GPU found")
        self.threads = QSpinBox(objectName="threadsSpin", minimum=1, maximum=max(1, _cpu_count()))
        self.threads.setValue(catalog.default_threads())
        self.threads.setToolTip("CPU threads for training; one core is left to the window by default")

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Task", self.task)
        form.addRow("Parameters", self.params)
        length = QHBoxLayout()
        length.addWidget(self.length, 1)
        length.addWidget(self.length_unit)
        form.addRow("Train for", length)
        form.addRow("Batch size", self.batch)
        form.addRow("Learning rate", self.lr)
        form.addRow("Schedule", self.schedule)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Clip gradients", self.clip)
        form.addRow("Seed", self.seed)
        form.addRow("Validate every", self.eval_every)
        form.addRow("Probe every", self.probe_every)
        device = QHBoxLayout()
        device.addWidget(self.device, 1)
        device.addWidget(QLabel("threads"))
        device.addWidget(self.threads)
        form.addRow("Device", device)

        self._design_task: TaskChoice | None = None
        self._extra: dict[str, Any] = {}  # metadata settings the form has no field for (patience ...)
        self._tasks_loaded = False
        self._previous_index = 0
        self.task.currentIndexChanged.connect(self._on_task_index)
        self._fill_task_items([])
        self.load_metadata({})

    # ------------------------------------------------------------------ from the design
    def load_metadata(self, metadata: dict[str, Any]) -> None:
        """Take the task and settings a design's metadata names (defaults for what it does not)."""
        self._design_task = TaskChoice.from_metadata(metadata.get("task"))
        training = dict(metadata.get("training") or {})
        values = {**DEFAULTS, **training}
        if "epochs" in training and "steps" not in training:
            self.length_unit.setCurrentText("epochs")
            self.length.setValue(int(values["epochs"]))
        else:
            self.length_unit.setCurrentText("steps")
            self.length.setValue(int(values.get("steps") or DEFAULTS["steps"]))
        self.batch.setValue(int(values["batch_size"]))
        self.lr.setCurrentText(f"{float(values['lr']):g}")
        self.optimizer.setCurrentText(str(values["optimizer"]))
        self.schedule.setCurrentText(str(values.get("lr_schedule") or "constant"))
        self.clip.setValue(float(values["clip"] or 0.0))
        self.seed.setValue(int(values["seed"]))
        self.eval_every.setValue(int(values.get("eval_every") or 0))
        self.probe_every.setValue(int(values.get("probe_every") or 0))
        if values.get("device") not in (None, "auto") and self.device.findData(values["device"]) < 0:
            self.device.addItem(str(values["device"]), values["device"])
        self.device.setCurrentIndex(max(0, self.device.findData(values.get("device", "auto"))))
        known = {"optimizer", "lr", "lr_schedule", "batch_size", "steps", "epochs", "clip", "seed", "eval_every",
                 "probe_every", "device"}
        self._extra = {k: v for k, v in training.items() if k not in known and k in ("momentum", "weight_decay",
                                                                                     "patience", "time_limit")}
        self._fill_task_items(self._current_bundled_names())
        choice = self._design_task
        self._select_choice(choice if choice is not None else None)

    # ------------------------------------------------------------------ task list
    def _current_bundled_names(self) -> list[str]:
        return [e.name for e in catalog.bundled_tasks()] if self._tasks_loaded else []

    def _load_tasks(self) -> None:
        try:
            names = [e.name for e in catalog.bundled_tasks()]
        except ImportError as exc:  # pragma: no cover - torch missing from the installation
            QMessageBox.critical(self, "Training unavailable", f"The training code cannot load: {exc}")
            return
        self._tasks_loaded = True
        current = self.task_choice_or_none()
        self._fill_task_items(names)
        self._select_choice(current)

    def _fill_task_items(self, bundled: list[str]) -> None:
        """Bundled tasks (or only the design's until the list loads), the design's or a chosen file,
        and "Your own file…"."""
        self.task.blockSignals(True)
        files = [self.task.itemData(i) for i in range(self.task.count())
                 if isinstance(self.task.itemData(i), TaskChoice) and self.task.itemData(i).path is not None]
        self.task.clear()
        entries = {e.name: e for e in catalog.bundled_tasks()} if self._tasks_loaded else {}
        names = list(bundled)
        design = self._design_task
        if design is not None and design.path is None and design.name not in names:
            names.insert(0, str(design.name))
        for name in names:
            entry = entries.get(name)
            text = f"{entry.title} ({name}) · {entry.architecture}" if entry else name
            self.task.addItem(text, TaskChoice.bundled(name))
        if design is not None and design.path is not None and all(f.key() != design.key() for f in files):
            files.insert(0, design)
        if files:
            self.task.insertSeparator(self.task.count())
        for f in files:
            self.task.addItem(f.label(), f)
        self.task.insertSeparator(self.task.count())
        self.task.addItem("Your own file…", FILE_ITEM)
        self.task.blockSignals(False)

    def _select_choice(self, choice: TaskChoice | None) -> None:
        self.task.blockSignals(True)
        index = -1
        for i in range(self.task.count()):
            data = self.task.itemData(i)
            if isinstance(data, TaskChoice) and choice is not None and data.name == choice.name and data.path == choice.path:
                index = i
                break
        if index < 0:
            index = next((i for i in range(self.task.count()) if isinstance(self.task.itemData(i), TaskChoice)), -1)
        self.task.setCurrentIndex(index)
        self._previous_index = index
        self.task.blockSignals(False)
        self._show_params_for(self.task.itemData(index) if index >= 0 else None, choice)

    def _show_params_for(self, item: Any, choice: TaskChoice | None) -> None:
        if isinstance(item, TaskChoice):
            design = self._design_task
            if choice is not None and choice.name == item.name and choice.path == item.path and choice.params:
                self.params.setText(params_text(choice.param_dict))
            elif design is not None and design.name == item.name and design.path == item.path:
                self.params.setText(params_text(design.param_dict))
            else:
                self.params.setText("")
        self.task_changed.emit()

    def _on_task_index(self, index: int) -> None:
        data = self.task.itemData(index)
        if data == FILE_ITEM:
            self.task.blockSignals(True)
            self.task.setCurrentIndex(self._previous_index)
            self.task.blockSignals(False)
            self.choose_file()
            return
        self._previous_index = index
        self._show_params_for(data, None)

    def choose_file(self, path: str | None = None) -> bool:
        """Pick a data file (ask for one when ``path`` is None); a file the engine refuses is
        reported with its message and the previous choice stays."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Train on your own data", str(Path.home()), DATA_FILTER)
            if not path:
                return False
        choice = TaskChoice.file(path)
        QGuiApplication.setOverrideCursor(QCursor(Qt.CursorShape.WaitCursor))
        try:
            task = choice.build()
        except (DataError, DesignerError) as exc:
            QGuiApplication.restoreOverrideCursor()
            QMessageBox.warning(self, "Cannot train on this file", str(exc))
            return False
        except OSError as exc:
            QGuiApplication.restoreOverrideCursor()
            QMessageBox.warning(self, "Cannot train on this file", f"{path}: {exc.strerror or exc}")
            return False
        QGuiApplication.restoreOverrideCursor()
        choice = TaskChoice(name=task.name, path=str(path))
        self.task.blockSignals(True)
        i = next((k for k in range(self.task.count()) if isinstance(self.task.itemData(k), TaskChoice)
                  and self.task.itemData(k).path == choice.path), -1)
        if i < 0:
            i = self.task.count() - 1  # before "Your own file…" and its separator
            self.task.insertItem(i - 1, choice.label(), choice)
            i -= 1
        self.task.setItemData(i, f"{task.title}: {path}", Qt.ItemDataRole.ToolTipRole)
        self.task.setCurrentIndex(i)
        self._previous_index = i
        self.task.blockSignals(False)
        self.params.setText("")
        self.task_changed.emit()
        return True

    def select_task(self, choice: TaskChoice) -> None:
        """Show ``choice`` (a checkpoint's task) as the chosen one, with its parameters."""
        present = any(isinstance(self.task.itemData(i), TaskChoice) and self.task.itemData(i).name == choice.name
                      and self.task.itemData(i).path == choice.path for i in range(self.task.count()))
        if not present:
            self.task.blockSignals(True)
            self.task.insertItem(0, choice.label(), TaskChoice(choice.name, choice.path))
            self.task.blockSignals(False)
        self._select_choice(choice)
        self.params.setText(params_text(choice.param_dict))

    # ------------------------------------------------------------------ devices
    def _load_devices(self) -> None:
        current = self.device.currentData()
        self.device.clear()
        self.device.addItem("Auto (best available)", "auto")
        for entry in catalog.devices():
            self.device.addItem(entry.label, entry.name)
        self.device.setCurrentIndex(max(0, self.device.findData(current)))

    # ------------------------------------------------------------------ reading the form
    def task_choice_or_none(self) -> TaskChoice | None:
        data = self.task.currentData()
        return data if isinstance(data, TaskChoice) else None

    def task_choice(self) -> TaskChoice:
        """The chosen task with its parameters; raises ``DataError`` for unreadable parameters."""
        choice = self.task_choice_or_none()
        if choice is None:
            raise DataError("choose a task, or your own data file, first")
        return choice.with_params(parse_params(self.params.text()))

    def learning_rate(self) -> float:
        text = self.lr.currentText().strip()
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (value > 0 and math.isfinite(value)):
            raise ValueError(f'learning rate "{text}": enter a positive number, e.g. 0.003 or 3e-4')
        return value

    def settings(self) -> dict[str, Any]:
        """``engine.training.TrainSettings`` keyword arguments; raises ``ValueError`` naming a bad field."""
        n = self.length.value()
        by_steps = self.length_unit.currentText() == "steps"
        settings: dict[str, Any] = {**self._extra, "optimizer": self.optimizer.currentText(),
                                    "lr": self.learning_rate(), "lr_schedule": self.schedule.currentText(),
                                    "batch_size": self.batch.value(),
                                    "clip": self.clip.value() or None, "seed": self.seed.value(),
                                    "device": self.device.currentData() or "auto"}
        settings["steps" if by_steps else "epochs"] = n
        auto_eval = max(1, n // VALIDATIONS_PER_RUN) if by_steps else None
        settings["eval_every"] = self.eval_every.value() or auto_eval
        every, low, high = AUTO_PROBE
        auto_probe = min(high, max(low, n // every)) if by_steps else AUTO_PROBE_EPOCHS
        settings["probe_every"] = self.probe_every.value() or auto_probe
        return settings

    def thread_count(self) -> int:
        return self.threads.value()

    def set_running(self, running: bool) -> None:
        """The data and the model's shape stay as they are while a run goes on."""
        for w in (self.task, self.params, self.length, self.length_unit, self.batch, self.lr, self.schedule, self.optimizer,
                  self.clip, self.seed, self.eval_every, self.probe_every, self.device, self.threads):
            w.setEnabled(not running)


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 1
