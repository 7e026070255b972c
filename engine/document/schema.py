"""The JSON Schema of the design format, generated from the block catalog.

``assets/design.schema.json`` is this function's output; a test keeps the two equal, so the schema
never drifts from what the loader accepts. Regenerate with ``python -m engine.document.schema > assets/design.schema.json``.
"""
from __future__ import annotations

import json
from typing import Any

from engine.document.blocks import BLOCKS
from engine.document.design import FORMAT_VERSION

_JSON_TYPES = {int: "integer", float: "number", bool: "boolean", str: "string"}


def design_schema() -> dict[str, Any]:
    node_rules = []
    for kind, spec in BLOCKS.items():
        props = {}
        for p in spec.params:
            d: dict[str, Any] = {"type": _JSON_TYPES[p.type], "default": p.default, "description": p.help}
            if p.minimum is not None:
                d["minimum"] = p.minimum
            if p.maximum is not None:
                d["maximum"] = p.maximum
            if p.choices:
                d["enum"] = list(p.choices)
            props[p.name] = d
        node_rules.append({"if": {"properties": {"kind": {"const": kind}}},
                           "then": {"properties": {"params": {"type": "object", "properties": props,
                                                              "additionalProperties": False}}}})
    endpoint = {"type": "object", "required": ["node", "port"], "additionalProperties": False,
                "properties": {"node": {"type": "string"}, "port": {"type": "string"}}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"RNN Designer design document, format {FORMAT_VERSION}",
        "type": "object",
        "required": ["format_version", "nodes"],
        "additionalProperties": False,
        "properties": {
            "format_version": {"const": FORMAT_VERSION},
            "name": {"type": "string"},
            "nodes": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            "edges": {"type": "array", "items": {"$ref": "#/$defs/edge"}},
            "metadata": {"type": "object", "properties": {
                "description": {"type": "string"},
                "task": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
                "training": {"type": "object"}}},
        },
        "$defs": {
            "endpoint": endpoint,
            "edge": {"type": "object", "required": ["source", "target"], "additionalProperties": False,
                     "properties": {"source": {"$ref": "#/$defs/endpoint"}, "target": {"$ref": "#/$defs/endpoint"}}},
            "node": {"type": "object", "required": ["id", "kind"],
                     "properties": {"id": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_\\-]*$"},
                                    "kind": {"enum": list(BLOCKS)},
                                    "params": {"type": "object"},
                                    "position": {"type": "array", "items": {"type": "number"},
                                                 "minItems": 2, "maxItems": 2}},
                     "allOf": node_rules},
        },
    }


if __name__ == "__main__":
    print(json.dumps(design_schema(), indent=2, ensure_ascii=False))
