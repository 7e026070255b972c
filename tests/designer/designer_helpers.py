"""Build designs the way a user does: palette drops (``scene.add_block``), wires
(``scene.try_connect``) and inspector edits (``inspector.apply_edit``)."""
from __future__ import annotations

from PySide6.QtCore import QPointF

from designer.main_window import MainWindow

STEP_X = 280
ROW_Y = 180


def drop(window: MainWindow, kind: str, col: int, row: int = 0) -> str:
    return window.scene.add_block(kind, QPointF(col * STEP_X, row * ROW_Y))


def wire(window: MainWindow, source: str, source_port: str, target: str, target_port: str) -> None:
    reason = window.scene.try_connect(source, source_port, target, target_port)
    assert reason is None, reason


def edit(window: MainWindow, node_id: str, **params) -> None:  # noqa: ANN003
    window.scene.select_nodes([node_id])
    assert window.inspector.node_id == node_id
    for name, value in params.items():
        window.inspector.apply_edit(name, value)
        assert window.document.design.nodes[node_id].params[name] == value


def build(window: MainWindow, architecture: str) -> None:
    """Build ``architecture`` from an empty canvas as a user would."""
    if architecture == "many-to-one":
        a, b, c, d, e = (drop(window, k, i) for i, k in enumerate(
            ["token_input", "embedding", "lstm", "last_step", "classifier"]))
        wire(window, a, "out", b, "in")
        wire(window, b, "out", c, "in")
        wire(window, c, "out", d, "in")
        wire(window, d, "out", e, "in")
        edit(window, e, num_classes=2)
    elif architecture == "many-to-many":
        a, b, c, d = (drop(window, k, i) for i, k in enumerate(["sequence_input", "gru", "every_step", "regressor"]))
        wire(window, a, "out", b, "in")
        wire(window, b, "out", c, "in")
        wire(window, c, "out", d, "in")
        edit(window, b, num_layers=2, bidirectional=True)
    elif architecture == "one-to-many":
        a, b, c, d, e = (drop(window, k, i) for i, k in enumerate(
            ["class_input", "embedding", "bridge", "decoder", "classifier"]))
        wire(window, a, "out", b, "in")
        wire(window, b, "out", c, "in")
        wire(window, c, "out", d, "init")
        wire(window, d, "out", e, "in")
        edit(window, e, num_classes=32)  # the decoder's vocabulary
    elif architecture == "encoder-decoder":
        a, b, c = (drop(window, k, i) for i, k in enumerate(["token_input", "embedding", "gru"]))
        d, e, f = (drop(window, k, i + 2, row=1) for i, k in enumerate(["bridge", "decoder", "classifier"]))
        wire(window, a, "out", b, "in")
        wire(window, b, "out", c, "in")
        wire(window, c, "state", d, "in")
        wire(window, d, "out", e, "init")
        wire(window, e, "out", f, "in")
        edit(window, c, bidirectional=True)
        edit(window, f, num_classes=32)
    else:  # pragma: no cover
        raise ValueError(architecture)
