"""Which probe the heatmaps show: block, layer, direction and probe sequence.

Filled from the structure of the newest probe trace (``trace[block][layer][direction]``); the
choice survives new traces of the same structure. :meth:`ProbePicker.select_block` is what a
selection on the canvas calls, so clicking a recurrent block shows its probes.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

from .probe_inputs import ProbeInputs


class ProbePicker(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("probePicker")
        self.block = QComboBox(objectName="probeBlock")
        self.layer = QComboBox(objectName="probeLayer")
        self.direction = QComboBox(objectName="probeDirection")
        self.sequence = QComboBox(objectName="probeSequence")
        for combo, chars in ((self.block, 9), (self.layer, 5), (self.direction, 7), (self.sequence, 10)):
            combo.setMinimumContentsLength(chars)  # long titles show whole in the open list
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        for combo in (self.block, self.sequence):
            combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.block.view().setMinimumWidth(200)
        self.sequence.view().setMinimumWidth(320)
        self.block.setToolTip("The recurrent block whose gates, states and gradients are shown "
                              "(selecting a block on the canvas picks it too)")
        self.sequence.setToolTip("The probe sequence (the first validation examples) shown in the heatmaps")
        self.layer.setToolTip("The layer of a stacked block")
        self.direction.setToolTip("The direction of a bidirectional block")
        row = QHBoxLayout(self)  # the items say what they are ("layer 1", "forward"): no labels, a narrow row
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Probes"))
        for combo in (self.block, self.layer, self.direction, self.sequence):
            row.addWidget(combo)
        self._structure: dict[str, dict[int, list[str]]] = {}
        self._quiet = False
        for combo in (self.block, self.layer, self.direction, self.sequence):
            combo.currentIndexChanged.connect(self._on_changed)
        self.setEnabled(False)

    # ------------------------------------------------------------------ what is chosen
    @property
    def key(self) -> tuple[str, int, str] | None:
        if self.block.currentIndex() < 0 or self.layer.currentIndex() < 0 or self.direction.currentIndex() < 0:
            return None
        return (self.block.currentData(), int(self.layer.currentData()), self.direction.currentData())

    @property
    def sequence_index(self) -> int:
        return max(0, self.sequence.currentIndex())

    # ------------------------------------------------------------------ filling
    def set_trace(self, trace: dict[str, Any], titles: dict[str, str]) -> None:
        """Offer the blocks, layers and directions of ``trace``; ``titles[block]`` describes each."""
        structure = {b: {int(k): list(d) for k, d in layers.items()} for b, layers in trace.items()}
        if structure == self._structure:
            for i in range(self.block.count()):  # the same blocks; one may have another cell now (Elman for LSTM)
                block = self.block.itemData(i)
                self.block.setItemText(i, titles.get(block, block))
            return
        keep = self.key
        self._quiet = True
        self._structure = structure
        self.block.clear()
        for block in structure:
            self.block.addItem(titles.get(block, block), block)
        self._quiet = False
        self.setEnabled(bool(structure))
        if keep and keep[0] in structure:
            self.select_block(keep[0], quiet=True)
        self._fill_layers(keep)
        self.changed.emit()

    def set_inputs(self, inputs: ProbeInputs | None) -> None:
        self._quiet = True
        current = self.sequence.currentIndex()
        self.sequence.clear()
        for title in (inputs.titles if inputs else []):
            self.sequence.addItem(title)
        if 0 <= current < self.sequence.count():
            self.sequence.setCurrentIndex(current)
        self._quiet = False

    def select_block(self, block: str, quiet: bool = False) -> bool:
        """Show ``block``'s probes; False when the trace has none for it (not a recurrent block)."""
        i = self.block.findData(block)
        if i < 0:
            return False
        if i != self.block.currentIndex():
            was, self._quiet = self._quiet, quiet or self._quiet
            self.block.setCurrentIndex(i)  # not quiet: _on_changed refills layers and directions
            self._quiet = was
        return True

    def _fill_layers(self, keep: tuple[str, int, str] | None = None) -> None:
        block = self.block.currentData()
        layers = self._structure.get(block, {})
        self._quiet = True
        self.layer.clear()
        for layer in layers:
            self.layer.addItem(f"layer {layer + 1}", layer)
        if keep and keep[0] == block and self.layer.findData(keep[1]) >= 0:
            self.layer.setCurrentIndex(self.layer.findData(keep[1]))
        self.layer.setEnabled(len(layers) > 1)
        self._fill_directions(keep)
        self._quiet = False

    def _fill_directions(self, keep: tuple[str, int, str] | None = None) -> None:
        block, layer = self.block.currentData(), self.layer.currentData()
        directions = self._structure.get(block, {}).get(layer, [])
        self.direction.clear()
        for d in directions:
            self.direction.addItem(d, d)
        if keep and self.direction.findData(keep[2]) >= 0:
            self.direction.setCurrentIndex(self.direction.findData(keep[2]))
        self.direction.setEnabled(len(directions) > 1)

    def _on_changed(self) -> None:
        if self._quiet:
            return
        sender = self.sender()
        keep = self.key
        if sender is self.block:
            self._fill_layers(keep)
        elif sender is self.layer:
            self._quiet = True
            self._fill_directions(keep)
            self._quiet = False
        self.changed.emit()
