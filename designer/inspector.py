"""The inspector: typed editors for the selected node's parameters, built from the catalog's
``ParamSpec``s, applied live as undoable commands; with nothing selected, the design's name and a
summary."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.document import cells
from engine.document.blocks import BLOCKS, ParamSpec
from engine.document.design import DesignEvent
from engine.errors import DesignError
from engine.model.graph import CheckReport

from .commands import ChangeCell, SetName, SetParam
from .document import DesignDocument
from .field_widgets import FieldNote, GuardedComboBox, GuardedDoubleSpinBox, GuardedSpinBox
from .icons import block_icon
from .problems import count_text

INT_LIMIT = 2**31 - 1
FLOAT_DECIMALS = 3
FLOAT_STEP = 0.05
MUTED = "#5f6673"


def make_editor(spec: ParamSpec, parent: QWidget) -> QWidget:
    """One editor for one parameter: spin box with the catalog's range (said in its tooltip; the
    wheel turns it only once it has the focus), combo box, check box or line."""
    if spec.type is bool:
        w: QWidget = QCheckBox(parent)
    elif spec.type is int:
        w = GuardedSpinBox(parent)
        w.setRange(int(spec.minimum if spec.minimum is not None else -INT_LIMIT),
                   int(min(spec.maximum, INT_LIMIT) if spec.maximum is not None else INT_LIMIT))
        w.setKeyboardTracking(False)
        w.setAccelerated(True)
    elif spec.type is float:
        w = GuardedDoubleSpinBox(parent)
        w.setDecimals(FLOAT_DECIMALS)
        w.setSingleStep(FLOAT_STEP)
        w.setRange(spec.minimum if spec.minimum is not None else -1e9, spec.maximum if spec.maximum is not None else 1e9)
        w.setKeyboardTracking(False)
    elif spec.choices:
        w = GuardedComboBox(parent)
        for choice in spec.choices:  # the words a user reads; the saved value is the item's data
            w.addItem(spec.choice_title(choice), choice)
    else:
        w = QLineEdit(parent)
    if spec.special and isinstance(w, (QSpinBox, QDoubleSpinBox)):
        w.setSpecialValueText(spec.special)  # the registry's words for what the minimum means
    w.setObjectName(f"param_{spec.name}")
    w.setAccessibleName(spec.title)  # before the tooltip: a clamped value's note names the field
    w.setToolTip(spec.help)
    return w


def editor_value(w: QWidget) -> Any:
    if isinstance(w, QCheckBox):
        return w.isChecked()
    if isinstance(w, (QSpinBox, QDoubleSpinBox)):
        return w.value()
    if isinstance(w, QComboBox):
        return w.currentData()
    return w.text()  # type: ignore[attr-defined]


def set_editor_value(w: QWidget, value: Any) -> None:
    w.blockSignals(True)
    try:
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
            w.setValue(value)
        elif isinstance(w, QComboBox):
            w.setCurrentIndex(w.findData(value))
        else:
            w.setText(str(value))  # type: ignore[attr-defined]
    finally:
        w.blockSignals(False)


class InspectorWidget(QScrollArea):
    def __init__(self, document: DesignDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inspector")
        self.setAccessibleName("Inspector")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.document = document
        self.node_id: str | None = None
        self._selection: list[str] = []
        self.editors: dict[str, QWidget] = {}
        self.name_edit: QLineEdit | None = None
        self._info: QLabel | None = None
        self._problems: QLabel | None = None
        self.cell_kind: QComboBox | None = None
        self.field_note: FieldNote | None = None  # a typed value that was clamped, under its field
        self._rebuild = QTimer(self)  # a page is rebuilt after the signal that changed it returns
        self._rebuild.setObjectName("inspectorRebuild")
        self._rebuild.setSingleShot(True)
        self._rebuild.timeout.connect(lambda: self.show_selection(list(self._selection)))
        document.design_event.connect(self._on_event)
        document.checked.connect(self._on_checked)
        document.design_replaced.connect(lambda _d: self.show_selection([]))
        document.editable_changed.connect(self._follow_editable)
        self.show_selection([])
        self._follow_editable(document.editable)

    # ------------------------------------------------------------------ what is shown
    def show_selection(self, node_ids: list[str]) -> None:
        node_ids = [n for n in node_ids if n in self.document.design.nodes]
        self._selection = node_ids
        self.node_id = node_ids[0] if len(node_ids) == 1 else None
        self.editors = {}
        self.name_edit = None
        self.cell_kind = None
        self.field_note = None
        page = QWidget()
        page.setObjectName("inspectorPage")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        if self.node_id is not None:
            self._build_node_page(layout, self.node_id)
        elif node_ids:
            layout.addWidget(self._title(f"{len(node_ids)} blocks selected"))
            layout.addWidget(self._muted("Select one block to edit its parameters. Delete, copy or duplicate "
                                         "work on the whole selection."))
        else:
            self._build_design_page(layout)
        layout.addStretch(1)
        self.setWidget(page)
        self._on_checked(self.document.report)

    def _title(self, text: str) -> QLabel:
        label = QLabel(text)
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        label.setFont(font)
        label.setWordWrap(True)
        return label

    def _muted(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setStyleSheet(f"color: {MUTED};")
        label.setTextFormat(Qt.TextFormat.RichText)
        return label

    def _build_node_page(self, layout: QVBoxLayout, node_id: str) -> None:
        node = self.document.design.nodes[node_id]
        spec = node.spec
        head = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(block_icon(node.kind).pixmap(32, 32))
        head.addWidget(icon)
        head.addWidget(self._title(spec.title), 1)
        layout.addLayout(head)
        ident = QLabel(f"<code>{node_id}</code> · {spec.group}")
        ident.setObjectName("inspectorNodeId")
        layout.addWidget(ident)
        layout.addWidget(self._muted(spec.help))
        if spec.params:
            form = QFormLayout()
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            if cells.is_cell(node.kind):
                self.cell_kind = self._cell_choice(node.kind)
                label = QLabel("Cell")
                label.setBuddy(self.cell_kind)
                form.addRow(label, self.cell_kind)
            for p in spec.params:
                editor = make_editor(p, self)
                set_editor_value(editor, node.params[p.name])
                self._connect_editor(editor, p.name)
                self.editors[p.name] = editor
                label = QLabel(p.title)
                label.setToolTip(p.help)
                label.setBuddy(editor)
                form.addRow(label, editor)
            self.field_note = FieldNote(form, "inspectorFieldNote")
            self.field_note.watch(*self.editors.values())
            layout.addLayout(form)
        else:
            layout.addWidget(self._muted("This block has no parameters."))
        self._info = QLabel()
        self._info.setObjectName("inspectorShapes")
        self._info.setWordWrap(True)
        self._info.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self._info)
        self._problems = QLabel()
        self._problems.setObjectName("inspectorProblems")
        self._problems.setWordWrap(True)
        self._problems.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self._problems)
        if spec.equations:
            eq = self._muted(f"<small><code>{spec.equations.replace('; ', '<br>')}</code></small>")
            eq.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(eq)

    def _cell_choice(self, kind: str) -> QComboBox:
        """The cell kind of a recurrent block, every registered cell offered by its palette title."""
        combo = GuardedComboBox(self)
        combo.setObjectName("cellKind")
        combo.setAccessibleName("Cell kind")
        combo.setToolTip("Change this block's cell in place: it keeps its id, wires and the parameters "
                         "the cells share (hidden size, layers, bidirectional, dropout).")
        for spec in cells.cells():
            combo.addItem(block_icon(spec.kind), spec.title, spec.kind)
            combo.setItemData(combo.count() - 1, spec.help, Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(combo.findData(kind))
        combo.currentIndexChanged.connect(lambda _i: self.change_cell(combo.currentData()))
        return combo

    def change_cell(self, kind: str) -> None:
        """What the cell choice calls: one ChangeCell command (undo puts the old cell back)."""
        node = self.document.design.nodes.get(self.node_id or "")
        if node is None or node.kind == kind or not cells.is_cell(kind):
            return
        if not self.document.push(ChangeCell(self.document, node.id, kind)) and self.cell_kind is not None:
            set_editor_value(self.cell_kind, node.kind)  # locked: the block keeps its cell

    def _build_design_page(self, layout: QVBoxLayout) -> None:
        design = self.document.design
        layout.addWidget(self._title("Design"))
        form = QFormLayout()
        self.name_edit = QLineEdit(design.name)
        self.name_edit.setObjectName("designName")
        self.name_edit.setToolTip("The design's name, saved in the file")
        self.name_edit.editingFinished.connect(self._name_edited)
        form.addRow("Name", self.name_edit)
        layout.addLayout(form)
        description = design.metadata.get("description")
        if isinstance(description, str) and description:
            layout.addWidget(self._muted(description))
        self._info = QLabel()
        self._info.setObjectName("inspectorShapes")
        self._info.setWordWrap(True)
        self._info.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self._info)
        layout.addWidget(self._muted(
            "Drag blocks from the palette (or press <b>Tab</b> on the canvas), then drag from an output port "
            "on a block's right side to an input port on another's left side. Select a block to edit it."))

    def _connect_editor(self, editor: QWidget, name: str) -> None:
        def apply(*_args: Any) -> None:
            self.apply_edit(name, editor_value(editor))

        if isinstance(editor, QCheckBox):
            editor.toggled.connect(apply)
        elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
            editor.valueChanged.connect(apply)
        elif isinstance(editor, QComboBox):
            editor.currentIndexChanged.connect(apply)
        else:
            editor.editingFinished.connect(apply)  # type: ignore[attr-defined]

    def apply_edit(self, name: str, value: Any) -> None:
        """What an editor calls when its value changes: one SetParam command (merged while spinning)."""
        if self.node_id is None:
            return
        node = self.document.design.nodes.get(self.node_id)
        if node is None or node.params.get(name) == value:
            return
        try:
            BLOCKS[node.kind].param(name).validate(value)
        except ValueError as exc:
            if self._problems is not None:
                self._problems.setText(f"<span style='color:#d33'>{name}: {exc}</span>")
            set_editor_value(self.editors[name], node.params[name])
            return
        try:
            if not self.document.push(SetParam(self.document, self.node_id, name, value)):
                set_editor_value(self.editors[name], node.params[name])  # locked: the design keeps its value
        except DesignError as exc:  # pragma: no cover - validated above
            if self._problems is not None:
                self._problems.setText(f"<span style='color:#d33'>{exc}</span>")

    def _name_edited(self) -> None:
        if self.name_edit is None:
            return
        name = self.name_edit.text().strip()
        if name and name != self.document.design.name:
            self.document.push(SetName(self.document, name))

    # ------------------------------------------------------------------ following the document
    def _follow_editable(self, editable: bool) -> None:
        """While the design is locked its parameters cannot change here; the reason is the tooltip."""
        self.setEnabled(editable)
        self.setToolTip("" if editable else self.document.lock_reason)

    def _on_event(self, event: DesignEvent) -> None:
        if event.type == "param_changed" and event.node_id == self.node_id and event.name in self.editors:
            set_editor_value(self.editors[event.name], event.new)
        elif event.type == "kind_changed" and event.node_id in self._selection:
            self._rebuild.start(0)  # new title, parameters and cell choice
        elif event.type == "node_removed" and event.node_id in self._selection:
            self.show_selection([n for n in self._selection if n != event.node_id])
        elif event.type == "name_changed" and self.name_edit is not None and self.name_edit.text() != event.new:
            self.name_edit.setText(event.new)

    def _on_checked(self, report: CheckReport) -> None:
        if self._info is None:
            return
        if self.node_id is not None and self.node_id in self.document.design.nodes:
            ins = report.input_shapes.get(self.node_id, {})
            outs = report.shapes.get(self.node_id, {})
            rows = [f"<b>in</b> {k}: <code>{v}</code>" for k, v in ins.items()]
            rows += [f"<b>out</b> {k}: <code>{v}</code>" for k, v in outs.items()]
            count = report.param_counts.get(self.node_id)
            if count is not None:
                rows.append(f"<b>parameters</b>: {count:,}")
            self._info.setText("<br>".join(rows) or "<i>shapes unknown until the inputs are connected</i>")
            probs = report.problems_for(self.node_id)
            if self._problems is not None:
                self._problems.setText("<br>".join(
                    f"<span style='color:{'#d33' if p.severity == 'error' else '#c80'}'>● {p.message}</span>"
                    for p in probs))
        elif self.node_id is None and not self._selection:
            design = self.document.design
            arch = report.architecture or "—"
            self._info.setText(f"<b>Architecture</b>: {arch}<br><b>Blocks</b>: {len(design.nodes)} · "
                               f"<b>connections</b>: {len(design.edges)}<br><b>Parameters</b>: {report.total_params:,}"
                               f"<br><b>Problems</b>: {count_text(len(report.errors), len(report.warnings)) or 'none'}")
