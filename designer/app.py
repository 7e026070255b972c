"""Start the designer window: ``rnn-designer-gui [DESIGN.rnnd]`` (and ``rnn-designer`` with no
subcommand).

Without a screen (no ``DISPLAY``/``WAYLAND_DISPLAY`` on Linux and no ``QT_QPA_PLATFORM`` chosen) the
window cannot open; :func:`main` then says so in one line, renders the window offscreen to a PNG
(:func:`render_offscreen`) and trains the design headless with a progress bar
(:func:`train_headless`), so a run on a server still does the useful thing.

torch is never imported here: the window appears before the training code loads.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

OFFSCREEN_PNG = "rnn-designer-window.png"
HEADLESS_TIME_LIMIT = float(os.environ.get("RNN_DESIGNER_HEADLESS_SECONDS", "180"))
RENDER_SIZE = (1440, 900)
SPARE_PROCESS_AFTER_MS = 1500  # after the first paint and the panels


def has_display() -> bool:
    """Whether Qt can open a window here."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True  # Windows and macOS always have a screen session for a GUI app


def _application():  # noqa: ANN202
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from .main_window import APP_NAME, ORG_NAME

    app = QApplication.instance()
    if app is None:
        QCoreApplication.setOrganizationName(ORG_NAME)
        QCoreApplication.setApplicationName(APP_NAME)
        app = QApplication([sys.argv[0] if sys.argv else "rnn-designer"])
        app.setStyle("Fusion")
    return app


def _initial_design(window, design_path: str | Path | None, welcome: bool = False) -> None:  # noqa: ANN001
    """Open ``design_path``; without one, with ``welcome`` the last file (File ▸ Open Last File at
    Start) or else the welcome page, and without ``welcome`` a bundled example (what the offscreen
    render and the headless run show). A bad file is reported after the window shows."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from engine.document.design_file import load_design
    from engine.errors import DesignFileError
    from engine.resources import is_bundled

    from .main_window import default_example
    from .welcome import last_file_to_open

    if design_path is None and welcome:
        design_path = last_file_to_open(window)
        if design_path is None:
            window.welcome.show()
            return
    if design_path is not None:
        try:
            design = load_design(design_path)
            if is_bundled(design_path):  # an installed example opens as a new design: Save asks where
                window.set_design(design)
                return
            window.set_design(design, Path(design_path).resolve())
            window._remember_recent(window.document.path)  # noqa: SLF001
            return
        except DesignFileError as exc:
            message = str(exc)
            QTimer.singleShot(0, lambda: QMessageBox.critical(window, "Cannot open design", message))
            if welcome:
                window.welcome.show()
                return
    example = default_example()
    if example is not None:
        try:
            window.set_design(load_design(example))
        except DesignFileError:
            pass


def open_window(design_path: str | Path | None, defer_panels: bool = True,  # noqa: ANN201 - a MainWindow
                offer_recovery_: bool = True):
    """The window as ``rnn-designer`` opens it: ``design_path`` (or the last file, or the welcome page), an
    autosave session, a watch on the file, and (once it shows, unless ``offer_recovery_`` is
    False) the offer to recover what a crashed window left unsaved. ``defer_panels``: the training
    and beam panels follow the first paint."""
    from PySide6.QtCore import QTimer

    from engine.errors import DesignerError

    from .autosave import attach_autosave
    from .file_watch import attach_file_watch
    from .main_window import MainWindow
    from .recovery import offer_recovery

    window = MainWindow(defer_panels=defer_panels)
    _initial_design(window, design_path, welcome=True)
    try:
        attach_autosave(window)
    except DesignerError as exc:  # no writable data folder: the window still works, without autosave
        message = f"Autosave is off: {exc}"
        QTimer.singleShot(0, lambda: window.statusBar().showMessage(message, 15_000))
    attach_file_watch(window)
    window.show()
    if offer_recovery_ and getattr(window, "autosave", None) is not None:
        QTimer.singleShot(0, lambda: offer_recovery(window))
    return window


def _quiet_offscreen_messages() -> None:
    """The offscreen platform warns about window features it lacks; those lines are noise here."""
    from PySide6.QtCore import qInstallMessageHandler

    previous = None

    def handler(mode, context, message):  # noqa: ANN001, ANN202
        if "propagateSizeHints" in message:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            sys.stderr.write(message + "\n")

    previous = qInstallMessageHandler(handler)


def render_offscreen(design_path: str | Path | None, png_path: str | Path) -> Path:
    """Render the window with ``design_path`` (None: the bundled example) to ``png_path``; returns it."""
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        if not has_display():
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
            _quiet_offscreen_messages()
    app = _application()
    from PySide6.QtCore import QSettings

    from .main_window import MainWindow

    settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "rnn-designer", "offscreen-render")
    window = MainWindow(settings=settings)
    try:
        window.resize(*RENDER_SIZE)
        _initial_design(window, design_path)
        window.show()
        for _ in range(3):
            app.processEvents()
        window.view.fit_all()
        app.processEvents()
        png = Path(png_path)
        png.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(png)):
            raise OSError(f"cannot write {png}")
        return png
    finally:
        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()
        app.processEvents()


def train_headless(design_path: str | Path | None, time_limit: float = HEADLESS_TIME_LIMIT) -> int:
    """Train ``design_path`` (None: the bundled example) for at most ``time_limit`` seconds in a
    ``rnn-designer train`` process of its own, with its progress bar; returns its exit status."""
    from .main_window import default_example

    path = design_path or default_example()
    if path is None:
        return 0
    print(f"rnn-designer: training {Path(path).name} headless for up to {time_limit:.0f} s "
          "(Ctrl+C stops early; the checkpoint is kept)", flush=True)
    cmd = [sys.executable, "-m", "engine.cli", "train", str(path), "--time-limit", f"{time_limit:g}"]
    run = subprocess.Popen(cmd)
    while True:
        try:
            return run.wait()
        except KeyboardInterrupt:  # the run heard Ctrl+C too: it keeps its checkpoint and ends
            continue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rnn-designer-gui", description="Open the RNN Designer window.")
    parser.add_argument("design", nargs="?", help="a design file (.rnnd) to open")
    parser.add_argument("--screenshot", metavar="PNG", help="render the window to PNG and exit")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    time_limit = HEADLESS_TIME_LIMIT

    if args.screenshot or not has_display():
        png = Path(args.screenshot or OFFSCREEN_PNG)
        if not args.screenshot:
            print(f"rnn-designer: no screen found (DISPLAY/WAYLAND_DISPLAY unset); rendering the window "
                  f"offscreen to {png.resolve()}", flush=True)
        try:
            render_offscreen(args.design, png)
        except OSError as exc:
            print(f"rnn-designer: {exc}", file=sys.stderr)
            return 1
        if args.screenshot or time_limit <= 0:
            return 0
        return train_headless(args.design, time_limit)

    app = _application()
    window = open_window(args.design, offer_recovery_=not os.environ.get("RNN_DESIGNER_EXIT_WHEN_SHOWN"))
    from PySide6.QtCore import QTimer

    def spare_run_process() -> None:  # torch imports in a spare process, so Train shows a point at once
        if window.training_panel is not None and not os.environ.get("RNN_DESIGNER_EXIT_WHEN_SHOWN"):
            window.training_panel.controller.prewarm()

    QTimer.singleShot(SPARE_PROCESS_AFTER_MS, spare_run_process)
    if os.environ.get("RNN_DESIGNER_EXIT_WHEN_SHOWN"):  # bench/startup.py: time to a painted window
        from PySide6.QtCore import QTimer

        def shown() -> None:
            print(f"shown at {time.time():.6f}", flush=True)
            window.document.undo_stack.setClean()
            window.close()

        QTimer.singleShot(0, shown)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
