"""Spin and combo boxes for forms that sit in scrolling panels (the training form, the inspector).

- The mouse wheel over a box scrolls the panel unless the box has the keyboard focus (click or
  Tab into it first); the wheel never takes the focus (``Qt.FocusPolicy.StrongFocus``). A wheel
  passing over a form no longer changes "Probe every" from auto to 3.
- A spin box's tooltip says the range it accepts, and a typed number outside the range is
  clamped *and said*: ``clamped`` carries "Steps 99999999 is above the maximum 999; set to 999",
  which a :class:`FieldNote` shows under the field. (Qt's own spin boxes drop the key strokes that
  would leave the range: "-5" became 5, "99999999" became 999, a dropout of "2" was ignored.)

Every spin box, double spin box and combo box of those forms is one of these.
"""
from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator, QWheelEvent
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QSpinBox, QWidget

UNBOUNDED_INT = 2**31 - 1  # a range this wide is "any whole number": not worth a tooltip line
UNBOUNDED_FLOAT = 1e9
NOTE_COLOR = "#a15c00"
_INT_TEXT = re.compile(r"[+-]?\d*")
_FLOAT_TEXT = re.compile(r"[+-]?\d*(?:[.,]\d*)?")


class GuardedComboBox(QComboBox):
    """A combo box the wheel changes only when it has the focus."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt API
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # the panel around it scrolls


class _Bounded:
    """What both spin boxes share: the wheel guard, the range in the tooltip, clamping that is said."""

    _pattern: re.Pattern[str]
    _help = ""

    def _guard(self) -> None:
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # type: ignore[attr-defined]
        self.setToolTip(self.toolTip())  # type: ignore[attr-defined] - adds the range to a tooltip set in the constructor

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt API
        if self.hasFocus():  # type: ignore[attr-defined]
            super().wheelEvent(event)  # type: ignore[misc]
        else:
            event.ignore()  # the panel around it scrolls

    # ------------------------------------------------------------------ the range, in words
    def setToolTip(self, text: str) -> None:  # noqa: N802 - Qt API
        """The help text, followed by the range the box accepts."""
        self._help = text
        accepts = self.range_text()
        super().setToolTip(f"{text}\n{accepts}" if text and accepts else text or accepts)  # type: ignore[misc]

    def range_text(self) -> str:
        """"Accepts 0 (auto) to 10,000,000 steps." — or "" when any number goes."""
        lo, hi = self.minimum(), self.maximum()  # type: ignore[attr-defined]
        unit = self.suffix().strip()  # type: ignore[attr-defined]
        unit = f" {unit}" if unit else ""
        low_open, high_open = self._unbounded(-lo), self._unbounded(hi)
        if low_open and high_open:
            return ""
        if high_open:
            return f"Accepts {self._bound(lo)}{unit} or more."
        if low_open:
            return f"Accepts up to {self._bound(hi)}{unit}."
        return f"Accepts {self._bound(lo)} to {self._bound(hi)}{unit}."

    def _unbounded(self, value: float) -> bool:
        return value >= (UNBOUNDED_INT if isinstance(self, QSpinBox) else UNBOUNDED_FLOAT)

    def _number(self, value: float) -> str:
        if isinstance(self, QSpinBox):
            return f"{int(value):,}"
        return f"{round(float(value), self.decimals()):g}"  # type: ignore[attr-defined]

    def _bound(self, value: float) -> str:
        special = self.specialValueText()  # type: ignore[attr-defined]
        if special and value == self.minimum():  # type: ignore[attr-defined]
            return f"{self._number(value)} ({special})"
        return self._number(value)

    def _shown(self, value: float) -> str:
        special = self.specialValueText()  # type: ignore[attr-defined]
        return special if special and value == self.minimum() else self._number(value)  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ typing past the range
    def _core(self, text: str) -> str:
        core = text.strip()
        prefix, suffix = self.prefix().strip(), self.suffix().strip()  # type: ignore[attr-defined]
        if prefix and core.startswith(prefix):
            core = core[len(prefix):]
        if suffix and core.endswith(suffix):
            core = core[:-len(suffix)]
        return core.strip()

    def validate(self, text: str, pos: int) -> Any:
        """Qt's answer, except that a number outside the range may be typed (it is clamped, and said, at Enter)."""
        result = super().validate(text, pos)  # type: ignore[misc]
        state = result[0] if isinstance(result, tuple) else result
        if state == QValidator.State.Invalid and self._pattern.fullmatch(self._core(text)):
            return QValidator.State.Intermediate, text, pos
        return result

    def fixup(self, text: str) -> str:
        """A typed number brought into the range (``clamped`` says so) or to the box's decimals."""
        typed = self._core(text)
        try:
            number = float(typed.replace(",", ".")) if typed else None
        except ValueError:
            number = None
        if number is None:
            return text  # not a number: Qt puts the last value back
        lo, hi = self.minimum(), self.maximum()  # type: ignore[attr-defined]
        value = min(max(number, lo), hi)
        if isinstance(self, QSpinBox):
            value = int(round(value))
        else:
            value = round(value, self.decimals())  # type: ignore[attr-defined]
        name = self.accessibleName() or "The value"  # type: ignore[attr-defined]
        if number > hi:
            self.clamped.emit(f"{name} {typed} is above the maximum {self._bound(hi)}; set to {self._shown(value)}.")  # type: ignore[attr-defined]
        elif number < lo:
            self.clamped.emit(f"{name} {typed} is below the minimum {self._bound(lo)}; set to {self._shown(value)}.")  # type: ignore[attr-defined]
        return self.prefix() + self.textFromValue(value) + self.suffix()  # type: ignore[attr-defined]


class GuardedSpinBox(_Bounded, QSpinBox):
    """A whole-number box: wheel only with the focus, its range in the tooltip, clamping said."""

    clamped = Signal(str)  # what was typed, the range and what the box holds now, in a sentence
    _pattern = _INT_TEXT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard()


class GuardedDoubleSpinBox(_Bounded, QDoubleSpinBox):
    """A decimal box: wheel only with the focus, its range in the tooltip, clamping said."""

    clamped = Signal(str)
    _pattern = _FLOAT_TEXT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard()


class FieldNote(QLabel):
    """One note, shown in the row under the field it is about, in a :class:`QFormLayout`: a typed
    value that was clamped. It goes when that field is typed in again."""

    def __init__(self, rows: QFormLayout, object_name: str = "fieldNote") -> None:
        super().__init__()
        self.setObjectName(object_name)
        self.setWordWrap(True)
        self.setStyleSheet(f"color: {NOTE_COLOR};")
        self.rows = rows
        self.field: QWidget | None = None
        rows.addRow(self)
        self.setVisible(False)

    def watch(self, *boxes: QWidget) -> None:
        for box in boxes:
            if isinstance(box, (GuardedSpinBox, GuardedDoubleSpinBox)):
                box.clamped.connect(lambda text, b=box: self.show_for(b, text))
                box.lineEdit().textEdited.connect(lambda _text, b=box: self.clear(b))

    def show_for(self, field: QWidget, text: str) -> None:
        """Say ``text`` in the row under ``field``'s row."""
        row = self._row_of(field)
        if row >= 0:
            self.rows.takeRow(self)
            row = self._row_of(field)  # the rows below the note moved up one
            self.rows.insertRow(row + 1, self)
        self.field = field
        self.setText(text)
        self.setVisible(True)

    def clear(self, field: QWidget | None = None) -> None:
        """Hide the note (only if it is about ``field``, when given)."""
        if field is None or field is self.field:
            self.field = None
            self.setText("")
            self.setVisible(False)

    def _row_of(self, field: QWidget) -> int:
        for row in range(self.rows.rowCount()):
            item = self.rows.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if item is None:
                continue
            if item.widget() is field or (item.layout() is not None and item.layout().indexOf(field) >= 0):
                return row
        return -1
