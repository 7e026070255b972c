"""The window's file handling: new (blank, template, example), open, save, save as, recent files,
designs dropped on the window, and the Save / Discard / Cancel question before anything is lost.

A mixin of :class:`~designer.main_window.MainWindow`: it uses the window's ``document``,
``settings``, ``view`` and status helpers, and keeps the file ideas apart from the widget wiring.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine.document.design import FILE_SUFFIX, Design
from engine.document.design_file import load_design
from engine.errors import DesignerError, DesignFileError
from engine.model.graph import ARCHITECTURES
from engine.resources import example_paths, is_bundled

from .close_guard import confirm_leaving, fresh_panels

APP_NAME = "RNN Designer"
ORG_NAME = "rnn-designer"
STATUS_MESSAGE_MS = 6000
MAX_RECENT = 8
FILE_FILTER = f"RNN designs (*{FILE_SUFFIX});;All files (*)"


def bundled_examples() -> list[Path]:
    """The example designs shipped with the app (:func:`engine.resources.example_paths`)."""
    return example_paths()


def default_example() -> Path | None:
    """The example the window opens with when no file is given (an encoder-decoder when there is one)."""
    examples = bundled_examples()
    for word in ("encoder", "seq2seq", "decoder", "reverse"):
        for path in examples:
            if word in path.stem.lower():
                return path
    return examples[0] if examples else None


class FileActions:
    """New, open, save, recent files and drops, for :class:`~designer.main_window.MainWindow`."""

    def maybe_save(self) -> bool:
        """Ask Save / Discard / Cancel when there are unsaved changes; True when it is fine to go on."""
        if not self.document.dirty:
            return True
        answer = QMessageBox.warning(
            self, APP_NAME, f"“{self.document.display_name()}” has unsaved changes.\nSave them first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def maybe_leave(self, doing: str) -> bool:
        """Before the design is replaced or the window closes: Save / Discard / Cancel for unsaved
        changes, then the run or unsaved trained model (:func:`designer.close_guard.confirm_leaving`).
        True when it is fine to go on."""
        return self.maybe_save() and confirm_leaving(self, doing)

    def set_design(self, design: Design, path: Path | None = None) -> None:
        self.document.set_design(design, path)
        self.view.fit_all()

    def replace_design(self, design: Design, path: Path | None = None) -> None:
        """Another design takes the window (New, a template or example, Open): the panels forget the
        previous design's run and model (:func:`designer.close_guard.fresh_panels`)."""
        self.set_design(design, path)
        fresh_panels(self)

    def new_design(self) -> bool:
        if not self.maybe_leave("starting a new design"):
            return False
        self.replace_design(Design())
        return True

    def new_from_template(self, architecture: str) -> bool:
        """Start a design from ``engine.document.templates.template(architecture)`` (imported lazily)."""
        from engine.document.templates import template  # noqa: PLC0415 - lazily, off the start-up path

        try:
            design = template(architecture)
        except (DesignerError, ValueError, KeyError) as exc:
            QMessageBox.critical(self, APP_NAME, f"Cannot build the {architecture} template:\n{exc}")
            return False
        if not self.maybe_leave("starting a new design"):
            return False
        self.replace_design(design)
        self.statusBar().showMessage(f"New {architecture} design from template", STATUS_MESSAGE_MS)
        return True

    def new_from_example(self, path: str | Path) -> bool:
        """Open a bundled example as a new, unsaved design (Save asks where, so the example stays)."""
        try:
            design = load_design(path)
        except DesignFileError as exc:
            QMessageBox.critical(self, "Cannot open example", str(exc))
            return False
        if not self.maybe_leave("opening another design"):
            return False
        self.replace_design(design)
        return True

    def _fill_templates(self) -> None:
        menu = self.menu_templates
        menu.clear()
        menu.addSection("Architectures")
        for arch in ARCHITECTURES:
            act = menu.addAction(arch.capitalize().replace("-", "‑"))
            act.setObjectName(f"actionTemplate_{arch}")
            act.triggered.connect(lambda _c=False, a=arch: self.new_from_template(a))
        examples = bundled_examples()
        if examples:
            menu.addSection("Examples")
            for path in examples:
                act = menu.addAction(path.stem.replace("_", " "))
                act.setStatusTip(str(path))
                act.triggered.connect(lambda _c=False, p=path: self.new_from_example(p))

    def open_file(self, path: str | Path | None = None) -> bool:
        """Open ``path`` (or ask for one). A file that fails to load shows the engine's message and
        leaves the open design — and a run on it — untouched: it is read before anything is asked."""
        if path is None:
            if not self.maybe_leave("opening another design"):
                return False
            start = str(self.document.path.parent) if self.document.path else str(Path.home())
            chosen, _ = QFileDialog.getOpenFileName(self, "Open design", start, FILE_FILTER)
            if not chosen:
                return False
            path, asked = chosen, True
        else:
            asked = False
        try:
            design = load_design(path)
        except DesignFileError as exc:
            QMessageBox.critical(self, "Cannot open design", str(exc))
            self._forget_recent(path)
            return False
        if not asked and not self.maybe_leave("opening another design"):
            return False
        if is_bundled(path):  # an installed example: a new design, so Save never writes into the installation
            self.replace_design(design)
            self.statusBar().showMessage(f"Opened the example {Path(path).name} as a new design; Save asks where "
                                         "to keep it", STATUS_MESSAGE_MS)
            return True
        self.replace_design(design, Path(path).resolve())
        self._remember_recent(self.document.path)
        self.statusBar().showMessage(f"Opened {self.document.path}", STATUS_MESSAGE_MS)
        return True

    def open_dropped(self, paths: list[str]) -> bool:
        designs = [p for p in paths if str(p).endswith(FILE_SUFFIX)]
        return self.open_file(designs[0]) if designs else False

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._write(self.document.path)

    def save_as(self, path: str | Path | None = None) -> bool:
        if path is None:
            start = self.document.path or Path.home() / f"{self.document.design.name or 'untitled'}{FILE_SUFFIX}"
            chosen, _ = QFileDialog.getSaveFileName(self, "Save design as", str(start), FILE_FILTER)
            if not chosen:
                return False
            path = chosen if chosen.endswith(FILE_SUFFIX) else chosen + FILE_SUFFIX
        return self._write(Path(path))

    def _write(self, path: Path) -> bool:
        try:
            saved = self.document.save(path)
        except DesignFileError as exc:
            QMessageBox.critical(self, "Cannot save design", str(exc))
            return False
        self._remember_recent(saved)
        self.statusBar().showMessage(f"Saved {saved}", STATUS_MESSAGE_MS)
        return True

    # ------------------------------------------------------------------ recent files
    def recent_files(self) -> list[str]:
        value = self.settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember_recent(self, path: Path | None) -> None:
        if path is None:
            return
        files = [str(path)] + [f for f in self.recent_files() if f != str(path)]
        self.settings.setValue("recentFiles", files[:MAX_RECENT])

    def _forget_recent(self, path: str | Path) -> None:
        target = str(Path(path).resolve())
        files = [f for f in self.recent_files() if f != target]
        self.settings.setValue("recentFiles", files)

    def _fill_recent(self) -> None:
        menu = self.menu_recent
        menu.clear()
        files = self.recent_files()
        for i, f in enumerate(files, 1):
            act = menu.addAction(f"&{i}  {Path(f).name}")
            act.setStatusTip(f)
            act.setToolTip(f)
            act.triggered.connect(lambda _c=False, p=f: self.open_file(p))
        if not files:
            menu.addAction("No recent files").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear Recent Files", lambda: self.settings.setValue("recentFiles", []))

    # ------------------------------------------------------------------ drops on the window
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.toLocalFile().endswith(FILE_SUFFIX) for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls()]
        if self.open_dropped(paths):
            event.acceptProposedAction()

