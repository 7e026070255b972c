"""Files: save, close, open round-trips (positions included); unreadable files leave the design
untouched and show the engine's message; the title, the unsaved-changes prompt, recent files, drops."""
from __future__ import annotations

import json

import pytest
from designer_helpers import build
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from designer.main_window import MainWindow, bundled_examples
from engine.document.design_file import load_design
from engine.model.check import check_design
from engine.model.graph import ARCHITECTURES


def test_save_close_open_roundtrip(qtbot, window, settings, tmp_path):
    build(window, "encoder-decoder")
    window.scene.nodes["gru_1"].setPos(333, 444)  # where a drag would leave it...
    window.scene.commit_moves({"gru_1": QPointF(0, 0)})  # ...and what releasing the mouse does
    assert window.document.design.nodes["gru_1"].position == (333.0, 444.0)
    original = window.document.design.to_dict()
    path = tmp_path / "model.rnnd"
    assert window.save_as(path)
    assert not window.isWindowModified()
    assert "model.rnnd" in window.windowTitle()
    assert json.loads(path.read_text())["nodes"][2]["position"] == [333.0, 444.0]
    assert window.close()

    again = MainWindow(settings=settings)
    qtbot.addWidget(again)
    assert again.recent_files()[0] == str(path.resolve())
    assert again.open_file(path)
    assert again.document.design.to_dict() == original
    assert {n: (i.pos().x(), i.pos().y()) for n, i in again.scene.nodes.items()} == {
        n["id"]: tuple(n["position"]) for n in original["nodes"]}
    assert again.document.path == path.resolve()
    assert not again.isWindowModified()


def test_title_shows_name_and_star(window, tmp_path):
    window.save_as(tmp_path / "first.rnnd")
    assert window.windowTitle().startswith("first.rnnd[*]")
    assert not window.isWindowModified()
    build(window, "many-to-one")
    assert window.isWindowModified()
    window.save()
    assert not window.isWindowModified()
    window.document.undo_stack.undo()
    assert window.isWindowModified()


@pytest.mark.parametrize("content, words", [
    ("this is not json", "not valid JSON"),
    ('{"format_version": 1, "nodes": [{"id": "a", "kind": "transformer"}]}', "unknown block kind"),
    ('{"format_version": 99, "nodes": []}', "newer RNN Designer"),
])
def test_unreadable_file_leaves_design_unchanged_and_shows_message(window, dialogs, tmp_path, content, words):
    build(window, "many-to-one")
    before = window.document.design.to_dict()
    depth, path_before = window.document.undo_stack.count(), window.document.path
    bad = tmp_path / "bad.rnnd"
    bad.write_text(content)
    assert not window.open_file(bad)
    assert window.document.design.to_dict() == before
    assert window.document.undo_stack.count() == depth
    assert window.document.path == path_before
    assert set(window.scene.nodes) == set(window.document.design.nodes)
    (message,) = dialogs.texts("critical")
    assert words in message and "bad.rnnd" in message


def test_missing_file_shows_message(window, dialogs, tmp_path):
    assert not window.open_file(tmp_path / "nowhere.rnnd")
    assert "no such file" in dialogs.texts("critical")[0]


def test_unsaved_changes_prompt(window, dialogs, tmp_path):
    build(window, "many-to-many")
    before = window.document.design.to_dict()
    dialogs.answer = QMessageBox.StandardButton.Cancel
    assert not window.new_design()
    assert window.document.design.to_dict() == before
    assert not window.close()  # Cancel keeps the window open
    assert window.isVisible()
    assert len(dialogs.texts("warning")) == 2
    dialogs.answer = QMessageBox.StandardButton.Discard
    assert window.new_design()
    assert not window.document.design.nodes and not window.isWindowModified()
    # Save with a file name saves, then goes on
    path = tmp_path / "keep.rnnd"
    window.save_as(path)
    build(window, "many-to-one")
    dialogs.answer = QMessageBox.StandardButton.Save
    assert window.new_design()
    assert check_design(load_design(path)).architecture == "many-to-one"


def test_save_failure_is_reported(window, dialogs, tmp_path):
    build(window, "many-to-one")
    assert not window.save_as(tmp_path / "no" / "such" / "folder" / "x.rnnd")
    assert "cannot be written" in dialogs.texts("critical")[0]
    assert window.isWindowModified()


def test_dropping_a_design_file_opens_it(window, tmp_path):
    build(window, "one-to-many")
    path = tmp_path / "dropped.rnnd"
    window.save_as(path)
    window.new_design()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.view.dropEvent(event)
    assert window.document.path == path.resolve()
    assert check_design(window.document.design).architecture == "one-to-many"


def test_palette_drop_event_adds_the_block(window):
    from designer.mime import BLOCK_MIME

    mime = QMimeData()
    mime.setData(BLOCK_MIME, b"lstm")
    event = QDropEvent(QPoint(200, 150), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.view.dropEvent(event)
    (node,) = window.document.design.nodes.values()
    assert node.kind == "lstm"
    # the palette's own drag payload is the same
    data = window.palette.tree.mimeData([window.palette.items["gru"]])
    assert bytes(data.data(BLOCK_MIME).data()) == b"gru"


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_new_from_template(window, architecture):
    assert window.new_from_template(architecture)
    report = window.document.report
    assert report.ok and report.architecture == architecture
    assert window.document.path is None and not window.isWindowModified()


def test_new_from_every_bundled_example(window):
    examples = bundled_examples()
    assert examples, "assets/examples holds the bundled designs"
    for path in examples:
        assert window.new_from_example(path)
        assert window.document.report.ok, (path, [p.message for p in window.document.report.problems])
        assert window.document.path is None  # Save asks where: the example stays as shipped
    window._fill_templates()  # noqa: SLF001
    names = [a.text() for a in window.menu_templates.actions()]
    assert len([n for n in names if n]) >= len(ARCHITECTURES) + len(examples)


def test_recent_files_menu(window, tmp_path):
    for name in ("a", "b"):
        window.save_as(tmp_path / f"{name}.rnnd")
    assert window.recent_files() == [str((tmp_path / "b.rnnd").resolve()), str((tmp_path / "a.rnnd").resolve())]
    window._fill_recent()  # noqa: SLF001
    assert "b.rnnd" in window.menu_recent.actions()[0].text()


def test_opening_an_installed_example_makes_a_new_design_that_never_saves_over_it(window, tmp_path):
    from designer.app import _initial_design

    example = bundled_examples()[0]
    before = example.read_bytes()
    assert window.open_file(example)
    assert window.document.path is None and window.document.design.name == load_design(example).name
    assert "as a new design" in window.statusBar().currentMessage()
    _initial_design(window, example)  # `rnn-designer PATH` from the `rnn-designer examples` list
    assert window.document.path is None
    assert example.read_bytes() == before
    other = tmp_path / "mine.rnnd"
    other.write_bytes(before)
    assert window.open_file(other) and window.document.path == other.resolve()
