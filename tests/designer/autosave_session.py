"""A window with unsaved work, run as its own process by ``test_autosave.py``, which then kills it.

``python autosave_session.py window DESIGN`` opens DESIGN the way ``rnn-designer DESIGN`` does
(:func:`designer.app.open_window`: autosave session, file watch), drops a Dense block at (900, 420),
prints ``edited NODE_ID`` and, once the autosave has written it, ``autosaved PATH``; then it keeps
running until it is killed.

``python autosave_session.py crash DESIGN`` does the same with the document alone (no window) and
then ends without cleaning up (``os._exit``), as a crash would: quicker, for the cases that only
need what a crash leaves.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

AUTOSAVE_MS = 300


def window_session(design: str) -> int:
    from designer.app import _application, open_window

    app = _application()
    window = open_window(design, offer_recovery_=False)
    autosaver = window.autosave
    autosaver.delay_ms = AUTOSAVE_MS
    autosaver.saved.connect(lambda path: print(f"autosaved {path}", flush=True))

    def edit() -> None:
        node_id = window.scene.add_block("dense", QPointF(900, 420))
        print(f"edited {node_id}", flush=True)

    QTimer.singleShot(0, edit)
    return app.exec()


def crash_session(design: str) -> int:
    from designer.autosave import Autosaver
    from designer.commands import AddNode
    from designer.document import DesignDocument
    from engine.document.design_file import load_design

    _app = QApplication.instance() or QApplication([sys.argv[0]])
    document = DesignDocument()
    document.set_design(load_design(design), design)
    autosaver = Autosaver(document)
    command = AddNode(document, "dense", position=(900, 420))
    document.push(command)
    node_id = command.node_id
    print(f"edited {node_id}", flush=True)
    print(f"autosaved {autosaver.save_now()}", flush=True)
    os._exit(0)  # no clean-up: the lock stays behind with a dead process's id, as after a crash


if __name__ == "__main__":
    mode, path = sys.argv[1], sys.argv[2]
    sys.exit(window_session(path) if mode == "window" else crash_session(path))
