"""The open document: one :class:`engine.document.design.Design`, its file, its undo stack and its last check.

Every view reads the design through this object and hears about changes through its Qt signals:

- ``design_replaced(Design)`` — a new, opened or template design took the place of the old one;
  views rebuild themselves from it;
- ``design_event(DesignEvent)`` — one edit happened (forwarded from ``Design.subscribe``);
- ``checked(CheckReport)`` — the engine's checks ran again after an edit (or a replacement);
- ``path_changed(str)`` and ``dirty_changed(bool)`` — for the window title.

Edits come only from :mod:`designer.commands`, pushed onto :attr:`undo_stack`; each command calls
:meth:`after_edit` once it has changed the design, which re-runs the checks a single time per
user action (not once per low-level event).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from engine.document.design import Design, DesignEvent
from engine.document.design_file import load_design, save_design
from engine.model.graph import CheckReport, check_design


class DesignDocument(QObject):
    design_replaced = Signal(object)
    design_event = Signal(object)
    checked = Signal(object)
    path_changed = Signal(str)
    dirty_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setObjectName("undoStack")
        self.undo_stack.cleanChanged.connect(lambda clean: self.dirty_changed.emit(not clean))
        self._design = Design()
        self._design.subscribe(self._forward)
        self._path: Path | None = None
        self._report: CheckReport = check_design(self._design)

    # ------------------------------------------------------------------ state
    @property
    def design(self) -> Design:
        return self._design

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def report(self) -> CheckReport:
        return self._report

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    def display_name(self) -> str:
        """What the title bar shows: the file name, or the design's name when never saved."""
        if self._path is not None:
            return self._path.name
        return self._design.name or "untitled"

    # ------------------------------------------------------------------ replacing the design
    def set_design(self, design: Design, path: str | Path | None = None) -> None:
        """Make ``design`` the open document (clean, with an empty undo history)."""
        self._design.unsubscribe(self._forward)
        self.undo_stack.clear()
        self._design = design
        self._design.subscribe(self._forward)
        self._path = Path(path) if path is not None else None
        self.undo_stack.setClean()
        self.design_replaced.emit(design)
        self.path_changed.emit(str(self._path or ""))
        self.dirty_changed.emit(False)
        self.recheck()

    def new(self, design: Design | None = None) -> None:
        self.set_design(design if design is not None else Design())

    def open(self, path: str | Path) -> None:
        """Load ``path``; raises :class:`engine.errors.DesignFileError` and leaves the document
        untouched when the file cannot be read."""
        design = load_design(path)  # raises before anything changes
        self.set_design(design, Path(path).resolve())

    def save(self, path: str | Path | None = None) -> Path:
        """Write the design (atomically, by ``engine.document.design.save_design``); raises
        :class:`engine.errors.DesignFileError` when it cannot be written."""
        target = Path(path) if path is not None else self._path
        if target is None:
            raise ValueError("no file name: use Save As")
        save_design(self._design, target)
        if self._path != target.resolve():
            self._path = target.resolve()
            self.path_changed.emit(str(self._path))
        self.undo_stack.setClean()
        return self._path

    # ------------------------------------------------------------------ edits
    def push(self, command) -> None:  # noqa: ANN001 - a designer.commands.DesignCommand
        self.undo_stack.push(command)

    def after_edit(self) -> None:
        """Called by every command after it changed the design: re-run the checks once."""
        self.recheck()

    def recheck(self) -> CheckReport:
        self._report = check_design(self._design)
        self.checked.emit(self._report)
        return self._report

    def _forward(self, event: DesignEvent) -> None:
        self.design_event.emit(event)

    def close(self) -> None:
        self._design.unsubscribe(self._forward)
