"""The training form: a view of the experiment the design holds — its task and training settings.

The form shows the open design's ``metadata["task"]`` and ``metadata["training"]`` (the keys the
CLI reads) and changes them only through undoable commands (:mod:`designer.commands`): picking a
task applies its recommended settings in the same step, each field edit is one step (typing or
spinning one field merges into one), and *Use recommended* puts the task's settings back. It
follows the document's ``metadata_changed`` events, so undo/redo, an opened file and the form
always agree, and a run starts with exactly what ``rnn-designer train FILE`` would run. A
setting the metadata leaves out shows the engine's default. The thread count is this machine's
and is not saved with the design.

The list of bundled tasks is filled the first time it opens (the window starts without loading
the task code). A file the user picks is read at once, and a file the engine cannot use is
refused with the engine's message (the line and what to do), the previous task staying.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCursor, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from engine.errors import DataError, DesignerError, TaskParamError

from ..commands import PickTask, SetMetadataEntries, SetTrainingSetting
from . import catalog
from .form_fields import (  # noqa: F401 - the form's constants and text helpers, re-exported
    DATA_FILTER,
    DEFAULT_EPOCHS,
    DEFAULTS,
    FILE_ITEM,
    LR_PRESETS,
    NO_TASK_NOTE,
    SCHEDULES,
    LazyComboBox,
    build_fields,
    param_error_text,
    params_text,
    parse_lr,
    parse_params,
    task_label,
)
from .session import TaskChoice


class TrainingForm(QWidget):
    task_changed = Signal()  # the design's task (or its parameters) changed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingForm")
        self.document: Any = None  # designer.document.DesignDocument, from set_document
        self._refreshing = False
        self._tasks_loaded = False
        self._files: list[TaskChoice] = []  # data files picked in this session, offered again
        self._errors: dict[str, str] = {}  # field → why its text is not in the design (a bad learning rate)
        self._build()

    # ================================================================== widgets
    def _build(self) -> None:
        build_fields(self)
        self.task.activated.connect(self._on_task_activated)
        self.params.editingFinished.connect(self._on_params_edited)
        self.length.valueChanged.connect(lambda _v: self._on_length())
        self.length_unit.currentTextChanged.connect(lambda _t: self._on_length())
        self.batch.valueChanged.connect(lambda v: self._set("batch_size", v, "batch size"))
        self.lr.currentTextChanged.connect(self._on_lr_text)
        self.schedule.currentTextChanged.connect(lambda t: self._set("lr_schedule", t, "schedule"))
        self.optimizer.currentTextChanged.connect(lambda t: self._set("optimizer", t))
        self.clip.valueChanged.connect(lambda v: self._set("clip", float(v), "gradient clipping"))
        self.seed.valueChanged.connect(lambda v: self._set("seed", v))
        self.eval_every.valueChanged.connect(lambda v: self._set("eval_every", v or None, "validation interval"))
        self.probe_every.valueChanged.connect(lambda v: self._set("probe_every", v or None, "probe interval"))
        self.device.currentIndexChanged.connect(lambda _i: self._set("device", self._device_value()))
        self.recommended.clicked.connect(self.use_recommended)
        self.refresh()

    # ================================================================== the document
    def set_document(self, document: Any) -> None:
        """Show ``document``'s experiment and follow it (its events and replaced designs)."""
        self.document = document
        document.design_event.connect(self._on_design_event)
        document.design_replaced.connect(self._on_design_replaced)
        self.refresh()

    def _on_design_replaced(self, _design: Any) -> None:
        self._errors.clear()  # text typed for the old design does not carry over
        self.field_note.clear()
        self.refresh()

    @property
    def metadata(self) -> dict[str, Any]:
        return self.document.design.metadata if self.document is not None else {}

    def training(self) -> dict[str, Any]:
        """The design's ``metadata["training"]`` (a copy; empty when it has none)."""
        return dict(self.metadata.get("training") or {})

    def _on_design_event(self, event: Any) -> None:
        if event.type == "metadata_changed" and event.name in ("task", "training"):
            self.refresh()
            if event.name == "task":
                self.task_changed.emit()

    def _push(self, command: Any) -> None:
        if self.document is not None and not self._refreshing:
            self.document.push(command)

    # ================================================================== showing the design's values
    def refresh(self) -> None:
        """Show the design's task and settings (the engine's defaults for what it leaves out)."""
        self._refreshing = True
        try:
            self._show_task()
            self._show_training()
        finally:
            self._refreshing = False

    def _show_training(self) -> None:
        training = self.training()
        values = {**DEFAULTS, **training}
        if values.get("steps"):
            self.length_unit.setCurrentText("steps")
            self.length.setValue(int(values["steps"]))
        else:
            self.length_unit.setCurrentText("epochs")
            self.length.setValue(int(values.get("epochs") or DEFAULT_EPOCHS))
        self.batch.setValue(int(values["batch_size"]))
        if "lr" not in self._errors:
            self.lr.setCurrentText(f"{float(values['lr']):g}")
        self.optimizer.setCurrentText(str(values["optimizer"]))
        self.schedule.setCurrentText(str(values["lr_schedule"]))
        self.clip.setValue(float(values["clip"] or 0.0))
        self.seed.setValue(int(values["seed"]))
        self.eval_every.setValue(int(training.get("eval_every") or 0))
        self.probe_every.setValue(int(training.get("probe_every") or 0))
        device = values.get("device") or "auto"
        if self.device.findData(device) < 0:
            self.device.addItem(str(device), device)
        self.device.setCurrentIndex(max(0, self.device.findData(device)))

    def _show_task(self) -> None:
        choice = TaskChoice.from_metadata(self.metadata.get("task"))
        if choice is not None and choice.path is not None and all(f.path != choice.path for f in self._files):
            self._files.insert(0, TaskChoice(choice.name, choice.path))
        self._fill_task_items(choice)
        if "params" not in self._errors:
            self.params.setText(params_text(choice.param_dict) if choice is not None else "")
        self.params.setEnabled(choice is not None)
        self._update_note(choice)

    def _update_note(self, choice: TaskChoice | None) -> None:
        """The line under the task: a field's error, or that the design has no task; and whether
        *Use recommended* has something to put back."""
        known = choice is not None and self._recommended_for(choice) is not None
        self.recommended.setEnabled(known and self._recommended_for(choice) != self._recommended_part())
        if self._errors:
            self._say(next(iter(self._errors.values())), "#c62828")
        elif choice is None:
            self._say(NO_TASK_NOTE, "#a15c00")
        else:
            self._say("", "")

    def _say(self, text: str, color: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))
        self.note.setStyleSheet(f"color: {color};" if color else "")

    def _fill_task_items(self, choice: TaskChoice | None) -> None:
        """The bundled tasks (only the design's until the list loads), the files picked, "Your own file…"."""
        self.task.blockSignals(True)
        self.task.clear()
        names = [e.name for e in catalog.bundled_tasks()] if self._tasks_loaded else []
        if choice is None:
            self.task.addItem("Choose a task…", None)
        elif choice.path is None and choice.name not in names:
            names.insert(0, str(choice.name))
        for name in names:  # one label for a task, picked or read from a file: "Date translation (dates) · encoder-decoder"
            self.task.addItem(task_label(name), TaskChoice.bundled(name))
        if self._files:
            self.task.insertSeparator(self.task.count())
        for f in self._files:
            self.task.addItem(f.label(), f)
            self.task.setItemData(self.task.count() - 1, f.path, Qt.ItemDataRole.ToolTipRole)
        self.task.insertSeparator(self.task.count())
        self.task.addItem("Your own file…", FILE_ITEM)
        index = 0
        if choice is not None:
            for i in range(self.task.count()):
                data = self.task.itemData(i)
                if isinstance(data, TaskChoice) and data.name == choice.name and data.path == choice.path:
                    index = i
                    break
        self.task.setCurrentIndex(index)
        self.task.blockSignals(False)

    def _load_tasks(self) -> None:
        self._tasks_loaded = True
        self._refreshing = True
        try:
            self._fill_task_items(TaskChoice.from_metadata(self.metadata.get("task")))
        finally:
            self._refreshing = False

    def _load_devices(self) -> None:
        current = self.device.currentData()
        self._refreshing = True
        try:
            self.device.clear()
            self.device.addItem("Auto (best available)", "auto")
            for entry in catalog.devices():
                self.device.addItem(entry.label, entry.name)
            self.device.setCurrentIndex(max(0, self.device.findData(current)))
        finally:
            self._refreshing = False

    # ================================================================== the user's edits → commands
    def _on_task_activated(self, index: int) -> None:
        data = self.task.itemData(index)
        if data == FILE_ITEM:
            self.refresh()  # back to the design's task until a file is chosen
            self.choose_file()
        elif isinstance(data, TaskChoice):
            current = TaskChoice.from_metadata(self.metadata.get("task"))
            if current is None or (current.name, current.path) != (data.name, data.path):
                self.pick_task(data)
        else:
            self.refresh()

    def pick_task(self, choice: TaskChoice | str) -> None:
        """Make ``choice`` the design's task with its recommended settings (one undoable step)."""
        from engine.data import training_with_recommended

        if isinstance(choice, str):
            choice = TaskChoice.bundled(choice)
        entry = self._entry(choice)
        self._errors.pop("params", None)
        self._push(PickTask(self.document, entry,
                                             training_with_recommended(entry["name"], self.training())))

    def select_task(self, choice: TaskChoice) -> None:
        """Make ``choice`` (a loaded checkpoint's task, with its parameters) the design's task,
        keeping the training settings."""
        entry = self._entry(choice)
        if entry != self.metadata.get("task"):
            self._push(PickTask(self.document, entry, None, f"Use the checkpoint's task {entry['name']}"))

    def ask_for_task(self) -> None:
        """Bring the form to the front with the Task list open (the Problems list's "Pick a task…")."""
        from PySide6.QtWidgets import QDockWidget

        widget: Any = self.parentWidget()
        while widget is not None and not isinstance(widget, QDockWidget):
            widget = widget.parentWidget()
        if widget is not None:
            widget.show()
            widget.raise_()
        self.task.setFocus()
        self.task.showPopup()

    def use_recommended(self) -> None:
        """Put back the task's recommended settings (the seed, device and others stay)."""
        from engine.data import training_with_recommended

        choice = TaskChoice.from_metadata(self.metadata.get("task"))
        if choice is None or self._recommended_for(choice) is None:
            return
        training = training_with_recommended(str(choice.name), self.training())
        if training != self.training():
            self._push(SetMetadataEntries(self.document, {"training": training},
                                                           "Use recommended settings"))

    def choose_file(self, path: str | None = None) -> bool:
        """Pick a data file (ask for one when ``path`` is None); a file the engine refuses is
        reported with its message and the previous choice stays."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Train on your own data", str(Path.home()), DATA_FILTER)
            if not path:
                return False
        QGuiApplication.setOverrideCursor(QCursor(Qt.CursorShape.WaitCursor))
        try:
            task = TaskChoice.file(path).build()
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
        if all(f.path != choice.path for f in self._files):
            self._files.append(choice)
        self.pick_task(choice)
        return True

    def _on_params_edited(self) -> None:
        choice = TaskChoice.from_metadata(self.metadata.get("task"))
        if choice is None or self._refreshing:
            return
        try:
            params = parse_params(self.params.text())
        except TaskParamError as exc:  # the window's words, not the CLI's KEY=VALUE
            self._errors["params"] = param_error_text(exc.item, choice.name)
            self._show_task()
            return
        except DataError as exc:
            self._errors["params"] = f"Task parameters: {exc}"
            self._show_task()
            return
        self._errors.pop("params", None)
        entry = self._entry(choice.with_params(params))
        if entry != self.metadata.get("task"):
            self._push(PickTask(self.document, entry, None, "Set task parameters"))
        else:
            self.refresh()

    def _on_length(self) -> None:
        unit = self.length_unit.currentText()
        other = "epochs" if unit == "steps" else "steps"
        self._set(unit, self.length.value(), "training length", drop=(other,))

    def _on_lr_text(self, text: str) -> None:
        if self._refreshing:
            return
        try:
            value = parse_lr(text)
        except ValueError as exc:
            self._errors["lr"] = str(exc)
            self._update_note(self.task_choice_or_none())
            return
        self._errors.pop("lr", None)
        self._set("lr", value, "learning rate")
        self._update_note(self.task_choice_or_none())

    def _set(self, key: str, value: Any, title: str | None = None, drop: tuple[str, ...] = ()) -> None:
        """One field edited: one command (merged with the last when it edited the same field)."""
        if self._refreshing or self.document is None:
            return
        training = self.training()
        default = DEFAULTS.get(key)
        same = training.get(key, default) == value and not any(k in training for k in drop)
        if same or (value is None and key not in training):
            return
        self._push(SetTrainingSetting(self.document, key, value, drop, title))

    def _device_value(self) -> str | None:
        data = self.device.currentData() or "auto"
        return None if data == "auto" else str(data)

    # ================================================================== reading the design
    def task_choice_or_none(self) -> TaskChoice | None:
        return TaskChoice.from_metadata(self.metadata.get("task"))

    def task_choice(self) -> TaskChoice:
        """The design's task with its parameters; raises ``DataError`` when it has none or the
        parameters typed in the form do not read."""
        if "params" in self._errors:
            raise DataError(self._errors["params"])
        choice = self.task_choice_or_none()
        if choice is None:
            raise DataError("choose a task, or your own data file, first (the Task list above)")
        return choice

    def learning_rate(self) -> float:
        return parse_lr(self.lr.currentText())

    def settings(self) -> dict[str, Any]:
        """``engine.training.TrainSettings`` keyword arguments: exactly the design's
        ``metadata["training"]``, what ``rnn-designer train`` reads; raises ``ValueError`` naming a
        field whose text is not a value (it never reached the design)."""
        if "lr" in self._errors:
            raise ValueError(self._errors["lr"])
        return self.training()

    def thread_count(self) -> int:
        return self.threads.value()

    def process_count(self) -> int:
        """How many processes Train starts (1: one worker; more: torchrun, data-parallel)."""
        return self.processes.value()

    def set_running(self, running: bool) -> None:
        """The data and the settings stay as they are while a run goes on."""
        for w in (self.task, self.params, self.length, self.length_unit, self.batch, self.lr, self.schedule,
                  self.optimizer, self.clip, self.seed, self.eval_every, self.probe_every, self.device,
                  self.threads, self.processes, self.recommended):
            w.setEnabled(not running)
        if not running:
            self.refresh()

    # ================================================================== helpers
    @staticmethod
    def _entry(choice: TaskChoice) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": choice.name}
        if choice.path is not None:
            entry["path"] = choice.path
        entry.update(choice.param_dict)
        return entry

    @staticmethod
    def _recommended_for(choice: TaskChoice | None) -> dict[str, Any] | None:
        from engine.data import TASKS

        if choice is None or choice.name not in TASKS:
            return None
        return dict(TASKS[str(choice.name)].recommended)

    def _recommended_part(self) -> dict[str, Any]:
        from engine.data import RECOMMENDED_KEYS

        return {k: v for k, v in self.training().items() if k in RECOMMENDED_KEYS}
