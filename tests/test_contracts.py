"""The house rules, as the suite checks them: import contracts (pyproject's [tool.importlinter])
and ruff (pyproject's [tool.ruff]). A broken contract or a lint finding fails `make test`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept():
    from importlinter.cli import lint_imports

    # lint_imports reads pyproject.toml from the working directory; run it in a child so the
    # suite's own imports (Qt, torch) cannot leak into the graph and its cache stays out of the tree.
    done = _run(sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                "sys.exit(lint_imports(no_cache=True))")
    assert lint_imports is not None
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout and done.stdout.count("KEPT") >= 3, done.stdout


def test_ruff_finds_nothing():
    done = _run(sys.executable, "-m", "ruff", "check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_py_typed_markers_ship_with_both_packages():
    for package in ("engine", "designer"):
        assert (ROOT / package / "py.typed").is_file(), f"pyproject declares {package}/py.typed"


def test_no_import_cycles_inside_the_engine():
    """Every module of engine/ can be read without its importers (imports for type hints only,
    under TYPE_CHECKING, do not run and are left out)."""
    import grimp
    import networkx as nx

    graph = grimp.build_graph("engine", cache_dir=None, exclude_type_checking_imports=True)
    edges = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported != "engine":  # the package's own scripting API re-exports from every room
                edges.add_edge(module, imported)
    cycles = sorted(nx.simple_cycles(edges), key=len)
    assert not cycles, "import cycles in engine/: " + "; ".join(" → ".join(c + c[:1]) for c in cycles[:5])
