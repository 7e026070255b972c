"""The window starts and closes cleanly; names for tools and tests; gestures with real mouse events;
no torch at start; without a screen, ``main`` renders offscreen to a PNG and returns 0."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from designer_helpers import drop
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtGui import QAction, QImage, QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from designer.app import render_offscreen
from designer.main_window import MainWindow, bundled_examples

ROOT = Path(__file__).resolve().parents[2]


def send(view, kind: QEvent.Type, scene_pos: QPointF, button=Qt.MouseButton.LeftButton,
         buttons=Qt.MouseButton.LeftButton) -> None:
    local = QPointF(view.mapFromScene(scene_pos))
    event = QMouseEvent(kind, local, QPointF(view.viewport().mapToGlobal(local.toPoint())), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), event)


def drag(view, start: QPointF, end: QPointF, steps: int = 5) -> None:
    send(view, QEvent.Type.MouseButtonPress, start)
    for i in range(1, steps + 1):
        send(view, QEvent.Type.MouseMove, start + (end - start) * (i / steps), Qt.MouseButton.NoButton)
    send(view, QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton)


def test_stable_object_names(window):
    for name in ("palette", "canvas", "inspector", "problems"):
        assert window.findChild(QWidget, name) is not None, name
    for name in ("actionNew", "actionOpen", "actionSave", "actionSaveAs", "actionUndo", "actionRedo"):
        assert window.findChild(QAction, name) is not None, name
    assert window.view.objectName() == "canvas"


def test_wire_gesture_connects_or_refuses(window):
    window.view.resetTransform()
    a = drop(window, "sequence_input", 0)
    b = drop(window, "lstm", 1)
    t = drop(window, "token_input", 0, row=1)
    scene, stack = window.scene, window.document.undo_stack
    depth = stack.count()
    out = scene.nodes[a].outputs["out"].scenePos()
    inp = scene.nodes[b].inputs["in"].scenePos()
    window.view.centerOn((out + inp) / 2)
    drag(window.view, out, inp)
    assert [str(e) for e in window.document.design.edges] == [f"{a}.out → {b}.in"]
    assert stack.count() == depth + 1
    # from an input back to an output works too (the wire is the same edge)
    window.document.undo_stack.undo()
    drag(window.view, inp, out)
    assert len(window.document.design.edges) == 1
    # token ids into an LSTM: refused, with the reason on the canvas
    window.document.undo_stack.undo()
    tok = scene.nodes[t].outputs["out"].scenePos()
    window.view.centerOn((tok + inp) / 2)
    drag(window.view, tok, inp)
    assert not window.document.design.edges
    assert "takes seq" in scene.toast_text


def test_dragging_several_nodes_is_one_command(window):
    window.view.resetTransform()
    a = drop(window, "sequence_input", 0)
    b = drop(window, "gru", 1)
    window.scene.try_connect(a, "out", b, "in")
    design, stack = window.document.design, window.document.undo_stack
    before = {n: design.nodes[n].position for n in (a, b)}
    window.scene.select_nodes([a, b])
    depth = stack.count()
    grab = window.scene.nodes[a].scenePos() + QPointF(60, 12)
    window.view.centerOn(grab)
    drag(window.view, grab, grab + QPointF(100, 60))
    assert stack.count() == depth + 1
    assert stack.text(stack.count() - 1) == "Move 2 blocks"
    for n in (a, b):
        x, y = design.nodes[n].position
        assert (x - before[n][0], y - before[n][1]) == (100.0, 60.0)
        assert x % 20 == 0 and y % 20 == 0
    edge_item = next(iter(window.scene.edges.values()))
    assert edge_item.path().pointAtPercent(0) == window.scene.nodes[a].outputs["out"].scenePos()
    stack.undo()
    assert {n: design.nodes[n].position for n in (a, b)} == before
    assert {n: (window.scene.nodes[n].x(), window.scene.nodes[n].y()) for n in (a, b)} == before


def test_rubber_band_selects(window):
    window.view.resetTransform()
    ids = [drop(window, k, i) for i, k in enumerate(["sequence_input", "gru", "every_step"])]
    window.scene.clearSelection()
    first, last = window.scene.nodes[ids[0]], window.scene.nodes[ids[1]]
    start = first.sceneBoundingRect().topLeft() - QPointF(30, 30)
    end = last.sceneBoundingRect().bottomRight() + QPointF(10, 10)
    window.view.centerOn((start + end) / 2)
    drag(window.view, start, end)
    assert window.scene.selected_node_ids() == ids[:2]


def test_zoom_and_fit(window):
    for i, k in enumerate(["token_input", "embedding", "lstm", "last_step", "classifier"]):
        drop(window, k, i * 2)
    window.view.fit_all()
    view_rect = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    for item in window.scene.nodes.values():
        assert view_rect.contains(item.sceneBoundingRect())
    z = window.view.zoom
    window.view.zoom_in()
    assert window.view.zoom > z
    window.view.reset_zoom()
    assert window.view.zoom == 1.0
    assert window.status_zoom.text() == "100%"


def test_window_starts_and_closes_cleanly(qtbot, settings):
    threads = threading.active_count()
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    drop(window, "lstm", 0)
    window.scene.try_connect("lstm_1", "out", "lstm_1", "in")  # refused: starts the toast timer
    assert any(t.isActive() for t in window.findChildren(QTimer))
    window.document.undo_stack.setClean()
    assert window.close()
    assert not window.isVisible()
    assert not [(t.parent().objectName(), t.objectName()) for t in window.findChildren(QTimer) if t.isActive()]
    assert threading.active_count() == threads
    assert not window.quick_add.isVisible()


def _run(code: str, tmp_path: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    base["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    base["PYTHONPATH"] = str(ROOT)
    base.update(env or {})
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=base, capture_output=True, text=True,
                          timeout=120)


def test_torch_is_not_imported_at_window_start(tmp_path):
    code = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from designer.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "w.new_from_template('encoder-decoder'); app.processEvents()\n"
        "assert 'torch' not in sys.modules, 'torch imported at start'\n"
        "w.document.undo_stack.setClean(); w.close()\n"
        "print('ok')\n")
    result = _run(code, tmp_path, {"QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_main_without_a_screen_renders_offscreen_and_trains_headless(tmp_path):
    example = next(p for p in bundled_examples() if "adding" in p.stem)
    result = _run(f"from designer.app import main; raise SystemExit(main([{str(example)!r}]))", tmp_path,
                  {"RNN_DESIGNER_HEADLESS_SECONDS": "2"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert "no screen" in lines[0]
    png = tmp_path / "rnn-designer-window.png"
    assert str(png) in lines[0]
    image = QImage(str(png))
    assert not image.isNull() and image.width() >= 800
    assert "training adding-lstm.rnnd headless" in lines[1]
    assert any(line.startswith("checkpoints, metrics.csv and the live stream (events.jsonl): runs/") for line in lines)
    assert list((tmp_path / "runs").glob("*/metrics.csv")), "the headless run keeps its checkpoint and metrics"


def test_render_offscreen_function(qapp, tmp_path):
    example = bundled_examples()[0] if bundled_examples() else None
    png = render_offscreen(example, tmp_path / "shots" / "window.png")
    assert png == tmp_path / "shots" / "window.png"
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1440, 900)


def test_arrange_is_one_undoable_command(window):
    from designer_helpers import build

    build(window, "encoder-decoder")
    design, stack = window.document.design, window.document.undo_stack
    before = design.to_dict()
    assert window.arrange()
    assert stack.undoText() == "Arrange blocks"
    xs = [design.nodes[n].position[0] for n in ("token_input_1", "embedding_1", "gru_1", "bridge_1", "decoder_1")]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    stack.undo()
    assert design.to_dict() == before


def test_keyboard_tab_delete_and_undo(window, qtbot):
    window.activateWindow()
    window.view.setFocus()
    qtbot.waitUntil(lambda: window.view.hasFocus(), timeout=2000)
    qtbot.keyClick(window.view, Qt.Key.Key_Tab)
    assert window.quick_add.isVisible()
    qtbot.keyClicks(window.quick_add.search, "last step")
    qtbot.keyClick(window.quick_add.search, Qt.Key.Key_Return)
    (node,) = window.document.design.nodes.values()
    assert node.kind == "last_step" and window.scene.selected_node_ids() == [node.id]
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert not window.document.design.nodes
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [n.kind for n in window.document.design.nodes.values()] == ["last_step"]
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert not window.document.design.nodes


def test_deferred_panels_arrive_just_after_the_window_shows(qtbot, settings):
    """``rnn-designer`` shows the window first and builds the training and beam panels right after."""
    w = MainWindow(settings=settings, defer_panels=True)
    qtbot.addWidget(w)
    assert w.training_panel is None and w.findChild(QAction, "actionTrain") is None
    w.show()
    qtbot.waitUntil(lambda: w.training_panel is not None, timeout=10_000)
    assert w.findChild(QAction, "actionTrain") is not None and w.findChild(QAction, "actionBeamStep") is not None
    w.document.undo_stack.setClean()
    w.close()
