"""Checks of a design's graph before it is trained: ports, cycles, shapes, architecture and parameter counts.

The graph is a networkx view built from the document on demand and never saved. Every problem
names the node id (and the port) in plain words, so the window can point at it and the CLI can
print it.
"""
from __future__ import annotations

from typing import Any

import networkx as nx

from engine.document.blocks import BLOCKS, HEAD_KINDS, INPUT_KINDS, Shape, ShapeError
from engine.document.design import Design
from engine.model.report import ARCHITECTURES, CheckReport, Fix, ParamChange, Problem

__all__ = ["ARCHITECTURES", "CheckReport", "Fix", "ParamChange", "Problem", "build_graph", "check_graph"]

_AFTER_DECODER_OK = {"dense", "dropout", "every_step", "classifier"}


def build_graph(design: Design) -> nx.MultiDiGraph:
    """The design as a networkx multigraph; edge keys are the (source port, target port) pairs."""
    g = nx.MultiDiGraph()
    for node in design.nodes.values():
        g.add_node(node.id, kind=node.kind)
    for e in design.edges:
        g.add_edge(e.source, e.target, key=(e.source_port, e.target_port), edge=e)
    return g


def check_graph(design: Design) -> CheckReport:
    """The checks of the graph itself (ports, cycles, shapes, architecture, counts); never raises
    for a bad graph. :func:`engine.model.check.check_design` adds the model's size and its task."""
    report = CheckReport()
    add = report.problems.append
    g = build_graph(design)

    if not design.nodes:
        add(Problem("the design is empty: drag an input, a cell and a head onto the canvas"))
        return report

    # ports: unknown, doubly connected, dangling
    for node in design.nodes.values():
        spec = node.spec
        for port in spec.inputs:
            feeding = design.incoming(node.id, port.name)
            if len(feeding) > 1:
                srcs = ", ".join(f'"{e.source}"' for e in feeding)
                add(Problem(f'node "{node.id}" port "{port.name}" is fed by {len(feeding)} edges ({srcs}); keep one',
                            node.id, port.name))
            elif not feeding and not port.optional:
                add(Problem(f'node "{node.id}" port "{port.name}" is not connected; connect an output that gives '
                            f'{" or ".join(port.accepts)}', node.id, port.name))
        if spec.outputs and not design.outgoing(node.id) and node.kind not in HEAD_KINDS:
            add(Problem(f'node "{node.id}" ({spec.title}) feeds nothing; connect its output or delete it',
                        node.id, spec.outputs[0].name, severity="warning"))

    # cycles
    simple = nx.DiGraph(g)
    if not nx.is_directed_acyclic_graph(simple):
        cycle = nx.find_cycle(simple)
        path = " → ".join(f'"{u}"' for u, _ in cycle) + f' → "{cycle[0][0]}"'
        add(Problem(f"the blocks form a cycle {path}; recurrence lives inside a cell, not between blocks",
                    cycle[0][0]))
        return report
    report.order = list(nx.lexicographical_topological_sort(simple))

    # exactly one input and one head
    inputs = [n for n in report.order if design.nodes[n].kind in INPUT_KINDS]
    heads = [n for n in report.order if design.nodes[n].kind in HEAD_KINDS]
    if not inputs:
        add(Problem("the design has no input block; add a token sequence, real sequence, vector or class input"))
    elif len(inputs) > 1:
        add(Problem(f'the design has {len(inputs)} inputs ({", ".join(inputs)}); a model reads one input block',
                    inputs[1]))
    if not heads:
        add(Problem("the design has no head; add a classifier or regression head at the end"))
    elif len(heads) > 1:
        add(Problem(f'the design has {len(heads)} heads ({", ".join(heads)}); a model has one head', heads[1]))
    report.input_node = inputs[0] if inputs else None
    report.head_node = heads[0] if heads else None
    decoders = [n for n in report.order if design.nodes[n].kind == "decoder"]
    if len(decoders) > 1:
        add(Problem(f'the design has {len(decoders)} decoders; an encoder-decoder has one', decoders[1]))
    report.decoder_node = decoders[0] if decoders else None

    _infer_shapes(design, report)
    _check_decoder(design, report, g)
    _check_reachability(design, report, g)
    _classify(design, report)
    return report


def _infer_shapes(design: Design, report: CheckReport) -> None:
    add = report.problems.append
    for node_id in report.order:
        node = design.nodes[node_id]
        spec = node.spec
        ins: dict[str, Shape] = {}
        missing = False
        for port in spec.inputs:
            feeding = design.incoming(node_id, port.name)
            if not feeding:
                missing = missing or not port.optional
                continue
            e = feeding[0]
            shape = report.shapes.get(e.source, {}).get(e.source_port)
            if shape is None:
                missing = True
                continue
            if shape.kind not in port.accepts:
                add(Problem(f'node "{node_id}" port "{port.name}": takes {" or ".join(port.accepts)}, gets '
                            f'{shape.kind} {shape} from "{e.source}"{_why(design, e.source)}',
                            node_id, port.name, edge=e))
                missing = True
                continue
            ins[port.name] = shape
        if missing:
            continue
        report.input_shapes[node_id] = ins
        try:
            report.shapes[node_id] = spec.shape_rule(node.params, ins)
        except ShapeError as exc:
            src = design.incoming(node_id, exc.port)
            origin = f' from "{src[0].source}"{_why(design, src[0].source)}' if src else ""
            hint = f"; {exc.hint}" if exc.hint else ""
            add(Problem(f'node "{node_id}" port "{exc.port}": {exc}{origin}{hint}', node_id, exc.port,
                        edge=src[0] if src else None, fix=_shape_fix(design, node_id, exc.port, ins)))
            continue
        report.param_counts[node_id] = spec.param_count(node.params, ins)


def _shape_fix(design: Design, node_id: str, port: str, ins: dict[str, Shape]) -> Fix | None:
    """The change that mends a size mismatch between two connected blocks, where there is one."""
    node, shape = design.nodes[node_id], ins.get(port)
    if node.kind == "decoder" and port == "init" and shape is not None:
        want = node.params["hidden_size"]
        src = design.nodes[design.incoming(node_id, "init")[0].source]
        if src.kind == "bridge":  # the bridge adapts: it projects the encoder's state to the decoder's size
            changes = [ParamChange(src.id, "hidden_size", want)]
            if src.params.get("mode") == "copy":
                changes.append(ParamChange(src.id, "mode", "project"))
            return Fix(f"set {src.id}'s hidden_size to {want}", tuple(changes))
        return Fix(f"set hidden_size to {shape.features}", (ParamChange(node_id, "hidden_size", shape.features),))
    if node.kind == "decoder" and port == "memory" and node.params.get("attention") == "dot":
        return Fix("set attention to general", (ParamChange(node_id, "attention", "general"),))
    if node.kind == "bridge" and port == "in" and node.params.get("mode") == "copy":
        return Fix("set mode to project", (ParamChange(node_id, "mode", "project"),))
    return None


def _why(design: Design, node_id: str) -> str:
    """A hint for why a node's output is as wide as it is."""
    p = design.nodes[node_id].params
    if p.get("bidirectional"):
        width = p.get("output_size") or p.get("hidden_size")
        return f" (bidirectional doubles {width})"
    return ""


def _check_decoder(design: Design, report: CheckReport, g: nx.MultiDiGraph) -> None:
    add = report.problems.append
    dec = report.decoder_node
    if dec is None:
        return
    if not design.incoming(dec, "init"):
        add(Problem(f'decoder "{dec}" has no encoder or generator: connect a bridge fed by an encoder\'s '
                    'state or by a vector/class input to its "init" port', dec, "init"))
    _check_memory(design, dec, g, add)
    for n in nx.descendants(g, dec):
        kind = design.nodes[n].kind
        if kind not in _AFTER_DECODER_OK:
            add(Problem(f'node "{n}" ({BLOCKS[kind].title}) follows decoder "{dec}"; after a decoder only '
                        "dense, dropout and every-step blocks may stand before the classifier head", n))
    head = report.head_node
    if head is not None and head in nx.descendants(g, dec):
        h = design.nodes[head]
        vocab = design.nodes[dec].params["vocab_size"]
        if h.kind != "classifier":
            add(Problem(f'node "{head}": a decoder emits tokens, so its head must be a classifier, not a '
                        f"{h.spec.title.lower()}", head))
        elif h.params["num_classes"] != vocab:
            add(Problem(f'node "{head}" parameter "num_classes": is {h.params["num_classes"]} but decoder "{dec}" '
                        f"has a vocabulary of {vocab}; make them equal", head, "in",
                        fix=Fix(f"set num_classes to {vocab}", (ParamChange(head, "num_classes", vocab),))))
    elif head is not None:
        add(Problem(f'decoder "{dec}" does not lead to the head "{head}"; connect its output to the head', dec, "out"))


def _check_memory(design: Design, dec: str, g: nx.MultiDiGraph, add: Any) -> None:
    """An attending decoder needs the encoder's steps on its memory port; a memory without attention
    is read by nothing."""
    score = design.nodes[dec].params.get("attention", "none")
    memory = design.incoming(dec, "memory")
    if score != "none" and not memory:
        encoders = [n for n in nx.ancestors(g, dec) if design.nodes[n].spec.recurrent]
        which = f'the encoder "{encoders[-1]}"\'s' if encoders else "an encoder's"
        add(Problem(f'decoder "{dec}" attends ({score}) but its "memory" port is not connected: connect {which} '
                    '"out" port (h_t at every source step) to it, or set attention to none', dec, "memory",
                    fix=Fix("set attention to none", (ParamChange(dec, "attention", "none"),))))
    elif score == "none" and memory:
        add(Problem(f'decoder "{dec}" has a memory wire from "{memory[0].source}" but does not attend; '
                    "choose an attention (additive, dot or general) or remove the wire", dec, "memory",
                    severity="warning", edge=memory[0],
                    fix=Fix("set attention to additive", (ParamChange(dec, "attention", "additive"),))))


def _check_reachability(design: Design, report: CheckReport, g: nx.MultiDiGraph) -> None:
    head, src = report.head_node, report.input_node
    if head is None or src is None:
        return
    if head not in nx.descendants(g, src):
        report.problems.append(Problem(f'no path leads from input "{src}" to head "{head}"; connect the blocks '
                                       "between them", head, "in"))
        return
    useful = nx.ancestors(g, head) | {head}
    for n in report.order:
        if n not in useful and design.outgoing(n):
            report.problems.append(Problem(f'node "{n}" does not lead to the head "{head}"; its output is unused',
                                           n, severity="warning"))


def _classify(design: Design, report: CheckReport) -> None:
    src, head = report.input_node, report.head_node
    if src is None or head is None or head not in report.shapes:
        return
    if not any(design.nodes[n].spec.recurrent for n in report.order):
        report.problems.append(Problem("the design has no recurrent block (a cell or a decoder); add one between "
                                       "the input and the head", severity="warning"))
    if report.decoder_node is not None:
        kind = design.nodes[src].spec.outputs[0].accepts[0]
        report.architecture = "one-to-many" if kind in ("vector", "class") else "encoder-decoder"
    else:
        report.architecture = "many-to-many" if report.shapes[head]["out"].kind == "seq" else "many-to-one"
