"""Make the README's training screenshots: ``python docs/screenshots.py [compare|dates]``.

``compare``: the many-to-one template on the adding problem with its recommended settings,
trained in the window as an LSTM and then — the cell changed in the inspector's way, through
the undoable ChangeCell command — as an Elman network; both runs ticked in the run history
overlay their loss, metric and gradient reach (docs/images/compare-elman-lstm.png).
``dates``: the encoder-decoder template on the date task, its gates page after a run
(docs/images/training-dates.png). The window is 1440×900 on the offscreen platform; each
run trains for real, so this takes minutes. Not part of the tests.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
sys.path.insert(0, str(ROOT))


def _wait(_app, done, timeout: float) -> bool:  # noqa: ANN001
    from bench.gui import run_until

    return run_until(done, timeout)


def _window(folder: Path, design):  # noqa: ANN001, ANN202
    from PySide6.QtCore import QSettings

    from designer.app import _application
    from designer.main_window import MainWindow
    from designer.welcome import OPEN_LAST_KEY
    from engine.document.design_file import save_design

    app = _application()
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue(OPEN_LAST_KEY, False)
    window = MainWindow(settings=settings)
    window.resize(1440, 900)
    path = folder / f"{design.name}.rnnd"
    save_design(design, path)
    window.show()
    window.open_file(path)
    _wait(app, lambda: window.training_panel is not None, 10)
    window.docks["training"].raise_()
    return app, window


def _train(app, window) -> None:  # noqa: ANN001
    panel = window.training_panel
    ended: list[object] = []
    panel.runFinished.connect(ended.append)
    panel.runFailed.connect(ended.append)
    window.actionTrain.trigger()
    _wait(app, lambda: bool(ended), 1800)
    if not ended or isinstance(ended[0], str):
        raise SystemExit(f"the run failed: {ended}")
    print(f"  {panel.status_text}")


def _recommended(design, task: str, **training):  # noqa: ANN001, ANN202
    from engine.data import recommended_training

    design.set_metadata("task", {"name": task})
    design.set_metadata("training", {**recommended_training(task), "seed": 0, **training})
    return design


def compare(folder: Path) -> Path:
    from designer.commands import ChangeCell
    from engine.document.templates import template

    design = _recommended(template("many-to-one", cell="lstm"), "adding")
    design.name = "adding"
    app, window = _window(folder, design)
    _train(app, window)
    cell = next(n for n in window.document.design.nodes.values() if n.kind == "lstm")
    window.document.push(ChangeCell(window.document, cell.id, "elman"))
    _train(app, window)
    panel = window.training_panel
    runs = panel.run_list
    runs.set_ticked([r.path for r in runs.runs[:2]])  # the Elman run and the LSTM run
    panel.plot_tabs.show_page("loss")
    _wait(app, lambda: False, 1.0)
    out = IMAGES / "compare-elman-lstm.png"
    window.grab().save(str(out))
    window.document.undo_stack.setClean()
    return out


def dates(folder: Path) -> Path:
    from engine.document.templates import template

    design = _recommended(template("encoder-decoder", cell="gru"), "dates", steps=1500, probe_every=50)
    design.name = "dates"
    app, window = _window(folder, design)
    _train(app, window)
    window.training_panel.plot_tabs.show_page("gates")
    _wait(app, lambda: False, 1.0)
    out = IMAGES / "training-dates.png"
    window.grab().save(str(out))
    window.document.undo_stack.setClean()
    return out


if __name__ == "__main__":
    IMAGES.mkdir(parents=True, exist_ok=True)
    which = sys.argv[1:] or ["compare", "dates"]
    with tempfile.TemporaryDirectory() as tmp:
        for name in which:
            folder = Path(tmp) / name
            folder.mkdir()
            print(name)
            print(f"  wrote {globals()[name](folder)}")
