"""A canvas session run as its own process by ``test_segfault.py`` (under ``MALLOC_PERTURB_``, so
that a use after free crashes at once instead of some time later).

``python canvas_session.py SETTINGS.ini SEED ACTIONS`` opens the window with the bundled example as
the app does, replays issue 14's reproduction with real mouse drags (New from Template ▸
Many-to-one; drag ``last`` 60 px left, then back; File ▸ New), then ``ACTIONS`` seeded random canvas
actions (templates, drags, undo and redo bursts, deletes, drops, wires, New, fit, paint). It prints
``canvas session ok`` and exits 0, or dies with the signal.
"""
from __future__ import annotations

import os
import random
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QPointF, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

TEMPLATES = ("many-to-one", "many-to-many", "one-to-many", "encoder-decoder")
KINDS = ("token_input", "sequence_input", "embedding", "lstm", "gru", "elman", "last_step", "dense", "classifier")


class CanvasSession:
    """Drives one window as a user's mouse would, synchronously (each step then the event queue)."""

    def __init__(self, settings_path: str) -> None:
        from designer.app import _initial_design
        from designer.main_window import MainWindow

        self.app = QApplication.instance() or QApplication([sys.argv[0]])
        # no modal dialog may block a scripted session: unsaved changes are discarded
        QMessageBox.warning = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard)  # type: ignore[method-assign]
        QMessageBox.critical = staticmethod(lambda *a, **k: QMessageBox.StandardButton.Ok)  # type: ignore[method-assign]
        self.window = MainWindow(settings=QSettings(settings_path, QSettings.Format.IniFormat))
        _initial_design(self.window, None)  # the bundled example, as `rnn-designer` opens with
        self.window.show()
        self.settle()

    def settle(self) -> None:
        self.app.processEvents()
        self.window.view.viewport().repaint()  # paint now: a stale index entry is read here
        self.app.processEvents()

    def drag_node(self, node_id: str, dx: float, dy: float = 0.0, steps: int = 12) -> None:
        """Press on a node's card, move the mouse ``dx, dy`` scene units in ``steps``, release."""
        view, viewport = self.window.view, self.window.view.viewport()
        item = self.window.scene.nodes[node_id]
        start = view.mapFromScene(item.mapToScene(item.card_rect().center() + QPointF(0, 20)))
        scale = view.transform().m11()
        end = start + QPoint(round(dx * scale), round(dy * scale))
        QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        for i in range(1, steps + 1):
            QTest.mouseMove(viewport, start + (end - start) * (i / steps), 5)
            self.app.processEvents()
        QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
        self.settle()

    def issue_14_sequence(self) -> None:
        w = self.window
        w.new_from_template("many-to-one")
        self.settle()
        self.drag_node("last", -60)
        self.drag_node("last", 60)
        w.new_design()
        self.settle()
        w.view.fit_all()
        self.settle()

    def random_action(self, rng: random.Random) -> None:
        w, scene = self.window, self.window.scene
        roll = rng.random()
        if roll < 0.12:
            w.new_from_template(rng.choice(TEMPLATES))
        elif roll < 0.45 and scene.nodes:
            node_id = rng.choice(sorted(scene.nodes))
            self.drag_node(node_id, rng.choice((-1, 1)) * rng.uniform(10, 160), rng.uniform(-60, 60),
                           steps=rng.randint(2, 10))
        elif roll < 0.60:
            stack = w.document.undo_stack
            for _ in range(rng.randint(1, 8)):
                (stack.undo if rng.random() < 0.7 else stack.redo)()
                self.app.processEvents()
        elif roll < 0.68 and scene.nodes:
            scene.select_nodes(rng.sample(sorted(scene.nodes), k=min(len(scene.nodes), rng.randint(1, 2))))
            w.delete_selection()
        elif roll < 0.78:
            scene.add_block(rng.choice(KINDS), QPointF(rng.uniform(-400, 900), rng.uniform(-300, 500)))
        elif roll < 0.86 and len(scene.nodes) >= 2:
            a, b = rng.sample(sorted(scene.nodes), k=2)
            src, dst = scene.nodes[a], scene.nodes[b]
            if src.outputs and dst.inputs:
                scene.try_connect(a, rng.choice(sorted(src.outputs)), b, rng.choice(sorted(dst.inputs)))
        elif roll < 0.92:
            w.new_design()
        else:
            w.view.fit_all()
        self.settle()

    def close(self) -> None:
        self.window.document.undo_stack.setClean()
        self.window.close()
        self.app.processEvents()


def main(argv: list[str]) -> int:
    settings_path, seed, actions = argv[0], int(argv[1]), int(argv[2])
    session = CanvasSession(settings_path)
    session.issue_14_sequence()
    rng = random.Random(seed)
    for _ in range(actions):
        session.random_action(rng)
    session.close()
    print("canvas session ok", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
