"""The typed pieces every catalog entry is made of: symbolic shapes, ports and parameters.

``engine.document.blocks`` (the block catalog) and ``engine.document.cells`` (the cell registry)
both describe blocks with these; neither knows about the other's tables here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PortType = str  # "tokens" | "class" | "seq" | "vector"
PORT_TYPES = ("tokens", "class", "seq", "vector")


@dataclass(frozen=True)
class Shape:
    """The symbolic shape of what flows along an edge."""

    kind: PortType
    features: int  # F for seq/vector; vocabulary or class count for tokens/class
    time: str = "T"  # "T" (source), "T'" (target) — meaningless for vector/class

    def __str__(self) -> str:
        if self.kind == "tokens":
            return f"(B, {self.time}) ids<{self.features}"
        if self.kind == "class":
            return f"(B,) ids<{self.features}"
        if self.kind == "seq":
            return f"(B, {self.time}, {self.features})"
        return f"(B, {self.features})"


@dataclass(frozen=True)
class ParamSpec:
    """One typed parameter of a block: the inspector builds its editor from this."""

    name: str
    type: type  # int, float, bool or str
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    label: str = ""
    choice_titles: tuple[str, ...] | None = None  # what a user reads for each choice (default: the choice)
    # False for a parameter added after designs were saved and trained: at its default it leaves
    # Design.structure_hash() as it was, so checkpoints trained before it existed still load.
    hashed_at_default: bool = True
    # what the minimum value means, shown in its place by the editor (a spin box's special-value
    # text), e.g. "same as hidden size" for a width whose 0 means "the hidden size"
    special: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def choice_title(self, value: Any) -> str:
        """The words shown for one of the ``choices`` (the value itself when it has no title)."""
        if self.choices and self.choice_titles and value in self.choices:
            return self.choice_titles[self.choices.index(value)]
        return str(value)

    def validate(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise ``ValueError`` saying why."""
        if self.type is bool:
            if isinstance(value, bool):
                return value
            raise ValueError(f"expected true or false, got {value!r}")
        if self.type is int:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
                raise ValueError(f"expected a whole number, got {value!r}")
            value = int(value)
        elif self.type is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"expected a number, got {value!r}")
            value = float(value)
        elif self.type is str:
            if not isinstance(value, str):
                raise ValueError(f"expected text, got {value!r}")
            if self.choices is not None and value not in self.choices:
                raise ValueError(f"expected one of {', '.join(self.choices)}; got {value!r}")
            return value
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"must be at least {_num(self.minimum)}, got {_num(value)}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"must be at most {_num(self.maximum)}, got {_num(value)}")
        return value


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class PortSpec:
    name: str
    accepts: tuple[PortType, ...]  # for inputs: the types it takes; for outputs: the one it gives
    help: str = ""
    optional: bool = False  # an input that may stay unconnected / an output that may stay unused


class ShapeError(ValueError):
    """Raised by a shape rule; the checker prefixes the node id and port."""

    def __init__(self, port: str, message: str, hint: str = "") -> None:
        self.port, self.hint = port, hint
        super().__init__(message)
