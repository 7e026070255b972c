"""The open document: one :class:`engine.document.design.Design`, its file, its undo stack and its last check.

Every view reads the design through this object and hears about changes through its Qt signals:

- ``design_replaced(Design)`` — a new, opened or template design took the place of the old one;
  views rebuild themselves from it;
- ``design_event(DesignEvent)`` — one edit happened (forwarded from ``Design.subscribe``);
- ``checked(CheckReport)`` — the engine's checks ran again after an edit (or a replacement);
- ``path_changed(str)`` and ``dirty_changed(bool)`` — for the window title;
- ``editable_changed(bool)`` — the design was locked (a run trains on it) or unlocked;
- ``edit_refused(str)`` — an edit was attempted while locked and not applied: what to tell the user.

Edits come only from :mod:`designer.commands`, pushed with :meth:`push` onto :attr:`undo_stack`;
each command calls :meth:`after_edit` once it has changed the design, which re-runs the checks a
single time per user action (not once per low-level event).

**Editable** is part of the document's state. While it is locked (:meth:`set_editable` with a
reason, e.g. "Training is running…"), :meth:`push`, undo and redo refuse every command that changes
the model — a command whose ``changes_model`` is true, the default — and emit ``edit_refused``
instead of applying it; moving blocks, renaming the design and its metadata stay allowed. The
canvas, the inspector and the window follow ``editable_changed`` to show the lock.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from engine.document.design import Design, DesignEvent
from engine.document.design_file import load_design, save_design
from engine.model.check import check_design
from engine.model.graph import CheckReport

DEFAULT_LOCK_REASON = "The design is locked."  # what a refusal says when the lock gave no reason


def changes_model(command: QUndoCommand | None) -> bool:
    """Whether ``command`` changes what the model is (blocks, wires, parameters). Commands say so
    with a ``changes_model`` attribute; anything else (a macro, a foreign command) counts as a change."""
    return command is not None and bool(getattr(command, "changes_model", True))


class DocumentUndoStack(QUndoStack):
    """The document's undo stack: undo, redo and jumps refuse model changes while the document is
    locked. (Python callers go through these methods; the window's undo actions do, and the
    history view is disabled while locked, since Qt's own view calls ``setIndex`` in C++.)"""

    def __init__(self, document: DesignDocument) -> None:
        super().__init__(document)
        self._document = document

    def undo(self) -> None:
        if self.canUndo() and self._document.admit(self.command(self.index() - 1), "undone"):
            super().undo()

    def redo(self) -> None:
        if self.canRedo() and self._document.admit(self.command(self.index()), "redone"):
            super().redo()

    def setIndex(self, idx: int) -> None:  # noqa: N802 - Qt API
        here = self.index()
        steps = range(idx, here) if idx < here else range(here, idx)
        word = "undone" if idx < here else "redone"
        if all(self._document.admit(self.command(i), word) for i in steps):
            super().setIndex(idx)

    def step_allowed(self, forward: bool) -> bool:
        """Whether the next undo (``forward=False``) or redo would be applied now."""
        if not (self.canRedo() if forward else self.canUndo()):
            return False
        command = self.command(self.index() if forward else self.index() - 1)
        return self._document.editable or not changes_model(command)


class DesignDocument(QObject):
    design_replaced = Signal(object)
    design_event = Signal(object)
    checked = Signal(object)
    path_changed = Signal(str)
    dirty_changed = Signal(bool)
    editable_changed = Signal(bool)
    edit_refused = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._editable = True
        self._lock_reason = ""
        self.refusals = 0  # edits refused while locked, since the document was made
        self.undo_stack = DocumentUndoStack(self)
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

    @property
    def editable(self) -> bool:
        """False while the design is locked: model-changing edits are refused, not applied."""
        return self._editable

    @property
    def lock_reason(self) -> str:
        """Why the design is locked ("" when it is editable), in words for the user."""
        return self._lock_reason

    def set_editable(self, editable: bool, reason: str = "") -> None:
        """Lock (``editable=False``, with the ``reason`` shown to the user) or unlock the design."""
        reason = "" if editable else (reason or DEFAULT_LOCK_REASON)
        changed = editable != self._editable
        self._editable, self._lock_reason = editable, reason
        if changed:
            self.editable_changed.emit(editable)

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
    def push(self, command: QUndoCommand) -> bool:
        """Apply ``command`` (a :class:`designer.commands.DesignCommand`) as one undoable step.
        Returns False, applying nothing, when the design is locked and the command changes the model."""
        if not self.admit(command, "changed"):
            return False
        self.undo_stack.push(command)
        return True

    def admit(self, command: QUndoCommand | None, verb: str = "changed") -> bool:
        """Whether ``command`` may be applied now; a refusal is counted and announced (``edit_refused``)."""
        if self._editable or not changes_model(command):
            return True
        self.refusals += 1
        self.edit_refused.emit(f"Not {verb}: {self._lock_reason}")
        return False

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
