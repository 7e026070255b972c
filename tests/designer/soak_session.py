"""A new user's hour, compressed: the real window driven through a seeded random sequence of user
actions, run as its own process by ``test_soak.py`` (under ``python -X faulthandler``).

``python soak_session.py SEED ACTIONS [WORK_DIR [MAX_RUNS]]`` opens the window as ``rnn-designer`` does
(:func:`designer.app.open_window`: panels, autosave, file watch) and performs ``ACTIONS`` actions:
templates and examples, blocks dropped, wired, edited and deleted, undo and redo bursts, mouse
drags, copy/paste, short trainings paused, resumed and stopped, designs switched during and right
after runs, beam steps, forces and backs at width 10, dock switches, resizes, save and open. It
then closes the window cleanly and prints ``soak ok: …`` with counts; any crash shows as a signal
exit and faulthandler's dump, any error as a Python traceback on stderr.
"""
from __future__ import annotations

import os
import random
import sys
import time
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox  # noqa: E402

TEMPLATES = ("many-to-one", "many-to-many", "one-to-many", "encoder-decoder")
KINDS = ("token_input", "sequence_input", "class_input", "embedding", "lstm", "gru", "elman", "min_gru",
         "jordan", "dropout", "last_step", "every_step", "dense", "bridge", "decoder", "classifier", "regressor")
EDITS = {"lstm": ("hidden_size", (8, 16, 32)), "gru": ("hidden_size", (8, 16, 32)), "elman": ("hidden_size", (8, 16)),
         "min_gru": ("hidden_size", (8, 16)), "dense": ("units", (8, 16)), "embedding": ("embed_dim", (4, 8, 16)),
         "dropout": ("p", (0.0, 0.1, 0.5))}
RUN_WAIT_S = 25.0  # the longest a run may take to show a step, or to end once stopped


def _answer_dialogs() -> None:
    """A scripted session never blocks on a modal: questions are answered, boxes dismissed."""
    answers = {"warning": QMessageBox.StandardButton.Discard, "question": QMessageBox.StandardButton.No}
    for kind in ("warning", "critical", "information", "question"):
        answer = answers.get(kind, QMessageBox.StandardButton.Ok)
        setattr(QMessageBox, kind, staticmethod(lambda *a, _answer=answer, **k: _answer))
    QMessageBox.about = staticmethod(lambda *a, **k: None)  # type: ignore[method-assign]
    QMessageBox.exec = lambda self: int(QMessageBox.StandardButton.Cancel)  # type: ignore[method-assign]
    QDialog.exec = lambda self: int(QDialog.DialogCode.Rejected)  # type: ignore[method-assign]
    from designer import close_guard  # a run or an unsaved model at New/Open/close: let it go, as "warning" does

    close_guard.ask = lambda *a, **k: QMessageBox.StandardButton.Discard
    QFileDialog.getOpenFileName = staticmethod(lambda *a, **k: ("", ""))  # type: ignore[method-assign]
    QFileDialog.getSaveFileName = staticmethod(lambda *a, **k: ("", ""))  # type: ignore[method-assign]


def small_training(design) -> None:  # noqa: ANN001
    """Shrink a design's run to seconds: few, small batches."""
    training = dict(design.metadata.get("training") or {})
    training.update(batch_size=16, steps=60, eval_every=20, probe_every=20, seed=0)
    design.metadata["training"] = training
    task = dict(design.metadata.get("task") or {})
    if task.get("name") == "adding":
        task.update(seq_len=12, train_size=256, val_size=32)
    design.metadata["task"] = task


class Soak:
    def __init__(self, seed: int, work: Path, max_runs: int | None = None) -> None:
        from designer.app import _application, open_window
        from designer.file_actions import bundled_examples

        self.rng = random.Random(seed)
        self.work = work
        self.max_runs = max_runs  # trainings take seconds each: the suite's soak caps them
        self.app = _application()
        _answer_dialogs()
        self.window = open_window(None, defer_panels=False, offer_recovery_=False)
        autosave = getattr(self.window, "autosave", None)
        if autosave is not None:
            autosave.delay_ms = 150  # autosave often, so it runs among everything else
        self.examples = bundled_examples()
        self.saved: list[Path] = []
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}  # time spent per kind of action
        self.settle()

    # ------------------------------------------------------------------ helpers
    def settle(self) -> None:
        self.app.processEvents()

    def wait_until(self, condition, seconds: float) -> bool:  # noqa: ANN001
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return True
            self.app.processEvents()
            time.sleep(0.005)
        return condition()

    @property
    def training(self):  # noqa: ANN201
        return self.window.training_panel

    @property
    def beam(self):  # noqa: ANN201
        return self.window.beam_panel

    def node_ids(self) -> list[str]:
        return sorted(self.window.scene.nodes)

    # ------------------------------------------------------------------ actions
    def template(self) -> None:
        self.window.new_from_template(self.rng.choice(TEMPLATES))

    def example(self) -> None:
        if self.examples:
            self.window.new_from_example(self.rng.choice(self.examples))

    def add_block(self) -> None:
        self.window.scene.add_block(self.rng.choice(KINDS), QPointF(self.rng.uniform(-300, 1200), self.rng.uniform(-200, 600)))

    def connect(self) -> None:
        nodes = self.node_ids()
        if len(nodes) < 2:
            return
        a, b = self.rng.sample(nodes, 2)
        src, dst = self.window.scene.nodes[a], self.window.scene.nodes[b]
        if src.outputs and dst.inputs:
            self.window.scene.try_connect(a, self.rng.choice(sorted(src.outputs)), b, self.rng.choice(sorted(dst.inputs)))

    def edit(self) -> None:
        candidates = [n for n in self.node_ids() if self.window.scene.nodes[n].kind in EDITS]
        if not candidates:
            return
        node_id = self.rng.choice(candidates)
        name, values = EDITS[self.window.scene.nodes[node_id].kind]
        self.window.scene.select_nodes([node_id])
        self.window.inspector.apply_edit(name, self.rng.choice(values))

    def delete(self) -> None:
        nodes = self.node_ids()
        if nodes:
            self.window.scene.select_nodes(self.rng.sample(nodes, min(len(nodes), self.rng.randint(1, 2))))
            self.window.delete_selection()

    def undo_burst(self) -> None:
        stack = self.window.document.undo_stack
        for _ in range(self.rng.randint(1, 10)):
            (stack.undo if self.rng.random() < 0.7 else stack.redo)()
            self.settle()

    def drag(self) -> None:
        nodes = self.node_ids()
        if not nodes:
            return
        view, viewport = self.window.view, self.window.view.viewport()
        item = self.window.scene.nodes[self.rng.choice(nodes)]
        start = view.mapFromScene(item.mapToScene(item.card_rect().center() + QPointF(0, 20)))
        scale = view.transform().m11()
        end = start + QPoint(round(self.rng.uniform(-150, 150) * scale), round(self.rng.uniform(-80, 80) * scale))
        QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        steps = self.rng.randint(2, 8)
        for i in range(1, steps + 1):
            QTest.mouseMove(viewport, start + (end - start) * (i / steps), 3)
            self.settle()
        QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)

    def clipboard(self) -> None:
        nodes = self.node_ids()
        if nodes:
            self.window.scene.select_nodes(self.rng.sample(nodes, min(len(nodes), 2)))
            self.rng.choice((lambda: (self.window.copy(), self.window.paste()), self.window.duplicate,
                             self.window.cut))()

    def layout(self) -> None:
        self.rng.choice((self.window.arrange, self.window.view.fit_all, self.window.view.zoom_in,
                         self.window.view.zoom_out))()

    def dock(self) -> None:
        docks = list(self.window.docks.values())
        dock = self.rng.choice(docks)
        dock.show()
        dock.raise_()

    def resize(self) -> None:
        self.window.resize(self.rng.randint(900, 1600), self.rng.randint(600, 1000))

    def save_open(self) -> None:
        if self.saved and self.rng.random() < 0.5:
            self.window.open_file(self.rng.choice(self.saved))
            return
        path = self.work / f"design-{len(self.saved)}.rnnd"
        if self.window.save_as(path):
            self.saved.append(path)

    def train(self) -> None:
        panel = self.training
        if panel is None or panel.running or (self.max_runs is not None and self.counts.get("runs", 0) >= self.max_runs):
            return
        if self.rng.random() < 0.7 and self.examples:  # a design that trains in seconds
            from engine.document.design_file import load_design

            design = load_design(self.rng.choice(self.examples))
            small_training(design)
            self.window.set_design(design)
        self.window.docks["training"].raise_()
        if not panel.start():
            return  # the design has problems: the panel said so
        self.count("runs")
        if self.rng.random() < 0.2:  # Pause while it says "Preparing the data…", then Stop or another design
            self.wait_until(lambda: False, self.rng.uniform(0.0, 0.2))
            panel.toggle_pause()
            self.rng.choice((panel.stop, self.template))()
            self.count("paused_while_preparing")
        else:
            self.wait_until(lambda: not panel.running or panel.controller.step >= 1, RUN_WAIT_S)
            roll = self.rng.random()
            if roll < 0.4:
                panel.toggle_pause()
                self.wait_until(lambda: False, self.rng.uniform(0.0, 0.3))
                if self.rng.random() < 0.5:
                    panel.toggle_pause()
                panel.stop()
            elif roll < 0.65:  # another design while it runs
                self.template()
            elif roll < 0.85:
                panel.stop()
                if self.rng.random() < 0.5:
                    self.template()  # right after the stop, before the run has ended
        if not self.wait_until(lambda: not panel.running, RUN_WAIT_S):
            panel.stop()
            if not self.wait_until(lambda: not panel.running, RUN_WAIT_S):
                raise RuntimeError("a stopped run did not end")  # issue 14's hang
        if self.rng.random() < 0.3:
            self.template()  # a design switch right after the run

    def beam_actions(self) -> None:
        panel = self.beam
        if panel is None or panel.beam_model is None:
            return
        if panel.search is None and not panel.choose_example(0):
            return
        panel.controls.set_settings(beam_width=10)
        for _ in range(self.rng.randint(1, 6)):
            roll = self.rng.random()
            search = panel.search
            if search is None:
                break
            if roll < 0.5:
                panel.step()
                self.count("beam_steps")
            elif roll < 0.7:
                nodes = list(search.tree.nodes)
                if nodes:
                    panel.force(self.rng.choice(nodes))
                    self.count("beam_forces")
            elif roll < 0.8:
                panel.back()
            elif roll < 0.9:
                panel.run_to_end()
            else:
                panel.reset()
            self.settle()

    def count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1

    # ------------------------------------------------------------------ the session
    ACTIONS = (("template", 6), ("example", 3), ("add_block", 10), ("connect", 8), ("edit", 8), ("delete", 5),
               ("undo_burst", 8), ("drag", 10), ("clipboard", 4), ("layout", 4), ("dock", 4), ("resize", 3),
               ("save_open", 4), ("train", 3), ("beam_actions", 4))

    def run(self, actions: int) -> None:
        names = [name for name, _w in self.ACTIONS]
        weights = [w for _n, w in self.ACTIONS]
        for i in range(actions):
            name = self.rng.choices(names, weights)[0]
            began = time.monotonic()
            try:
                getattr(self, name)()
                self.seconds[name] = self.seconds.get(name, 0.0) + time.monotonic() - began
            except Exception:
                sys.stderr.write(f"soak action {i} ({name}) failed:\n")
                raise
            self.count("actions")
            self.settle()

    def close(self) -> None:
        window = self.window
        if self.training is not None and self.training.running:
            self.training.stop()
            self.wait_until(lambda: not self.training.running, RUN_WAIT_S)
        window.document.undo_stack.setClean()
        autosave = getattr(window, "autosave", None)
        window.close()
        self.settle()
        if autosave is not None and autosave.folder.exists():
            raise RuntimeError(f"a clean close left the autosave folder {autosave.folder}")


def main(argv: list[str]) -> int:
    """The session runs inside ``app.exec()``, as the app does, so quitting is the app's own."""
    from PySide6.QtCore import QTimer

    seed, actions = int(argv[0]), int(argv[1])
    work = Path(argv[2]) if len(argv) > 2 else Path.cwd()
    max_runs = int(argv[3]) if len(argv) > 3 else None
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    soak = Soak(seed, work, max_runs)
    status = {"code": 0}

    def body() -> None:
        try:
            soak.run(actions)
            soak.close()
        except Exception:
            traceback.print_exc()
            status["code"] = 1
            soak.window.document.undo_stack.setClean()
            soak.window.close()
        else:
            counts = " ".join(f"{k}={v}" for k, v in sorted(soak.counts.items()))
            print(f"soak ok: seed={seed} {counts} seconds={time.monotonic() - started:.1f}", flush=True)
            slowest = sorted(soak.seconds.items(), key=lambda kv: -kv[1])[:5]
            print("slowest actions: " + ", ".join(f"{k} {v:.1f} s" for k, v in slowest), flush=True)
        QApplication.instance().quit()

    QTimer.singleShot(0, body)
    code = soak.app.exec()
    return status["code"] or code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
