"""Every file in assets/ loads; the examples check clean, compile and run; the CLI's check command."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import torch

from engine.cli.main import main
from engine.document.design_file import load_design
from engine.document.schema import design_schema
from engine.model.check import check_design
from engine.model.compiler import compile_design

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "assets" / "examples").glob("*.rnnd"))


def _example_inputs(model):
    B, size = 2, model.report.shapes[model.input_node]["out"].features
    if model.input_kind == "sequence_input":
        return torch.rand(B, 7, size), None
    if model.input_kind == "token_input":
        return torch.randint(4, size, (B, 7)), torch.tensor([7, 3])
    return torch.randint(0, size, (B,)), None


def test_there_is_one_example_per_architecture() -> None:
    archs = {check_design(load_design(p)).architecture for p in EXAMPLES}
    assert archs == {"one-to-many", "many-to-one", "many-to-many", "encoder-decoder"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_checks_clean_compiles_and_runs(path: Path) -> None:
    design = load_design(path)
    jsonschema.validate(json.loads(path.read_text()), design_schema())
    report = check_design(design)
    assert report.ok, report.errors
    assert "task" in design.metadata and "training" in design.metadata
    model = compile_design(design)
    x, lengths = _example_inputs(model)
    y_in = torch.randint(1, model.vocab_size, (2, 4)) if model.decoder_node else None
    out = model(x, lengths, y_in)
    assert out.shape[0] == 2 and torch.isfinite(out).all()


def test_every_json_asset_parses() -> None:
    for path in ROOT.joinpath("assets").rglob("*"):
        if path.suffix in (".json", ".rnnd"):
            json.loads(path.read_text())


def test_schema_file_is_generated_from_the_catalog() -> None:
    on_disk = json.loads((ROOT / "assets" / "design.schema.json").read_text())
    assert on_disk == design_schema(), "regenerate with: python -m engine.document.schema > assets/design.schema.json"


def test_check_prints_the_analysis_table(capsys) -> None:
    path = ROOT / "assets" / "examples" / "dates-gru-seq2seq.rnnd"
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "architecture: encoder-decoder" in out
    assert "(B, T', 128)" in out and "total parameters: 223,919" in out


def test_check_json_and_exit_codes(tmp_path: Path, capsys) -> None:
    design = load_design(ROOT / "assets" / "examples" / "adding-lstm.rnnd")
    assert main(["check", "--json", str(ROOT / "assets" / "examples" / "adding-lstm.rnnd")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["architecture"] == "many-to-one" and data["total_params"] == check_design(design).total_params
    design.remove_node("last")
    from engine.document.design_file import save_design

    broken = tmp_path / "broken.rnnd"
    save_design(design, broken)
    assert main(["check", str(broken)]) == 1
    assert 'node "head" port "in" is not connected' in capsys.readouterr().out
    (tmp_path / "garbage.rnnd").write_text("{")
    assert main(["check", str(tmp_path / "garbage.rnnd")]) == 2
    err = capsys.readouterr().err
    assert "garbage.rnnd" in err and "not valid JSON" in err and "Traceback" not in err


def test_engine_never_imports_qt_or_the_designer() -> None:
    code = ("import sys, engine, engine.model.compiler, engine.cli, engine.document.templates, engine.document.schema; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'designer', 'shiboken6')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_checking_a_design_does_not_import_torch() -> None:
    code = ("import sys; from engine import load_design, check_design; "
            f"check_design(load_design({str(EXAMPLES[0])!r})); sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_app_data_dir_honours_the_override_and_defaults_to_the_platform_folder(tmp_path: Path, monkeypatch) -> None:
    from engine.appdirs import app_data_dir, recovery_dir

    monkeypatch.setenv("RNN_DESIGNER_DATA_DIR", str(tmp_path / "data"))
    assert app_data_dir() == tmp_path / "data" and (tmp_path / "data").is_dir()
    assert recovery_dir() == tmp_path / "data" / "recovery" and recovery_dir().is_dir()
    monkeypatch.delenv("RNN_DESIGNER_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert app_data_dir(create=False) == tmp_path / "xdg" / "rnn-designer"
    assert app_data_dir(create=False).name == "rnn-designer"
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("RNN_DESIGNER_DATA_DIR", str(tmp_path / "file" / "data"))
    from engine.errors import DesignerError

    with pytest.raises(DesignerError, match="RNN_DESIGNER_DATA_DIR"):
        app_data_dir()


def test_bundled_files_are_found_through_engine_resources() -> None:
    from engine.resources import asset, example_paths

    assert example_paths() == [p.resolve() for p in EXAMPLES]
    assert asset("data/corpus.txt").resolve() == (ROOT / "assets" / "data" / "corpus.txt").resolve()
    assert json.loads(asset("design.schema.json").read_text()) == design_schema()


def test_examples_lists_name_architecture_task_and_path(capsys) -> None:
    assert main(["examples"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["name", "architecture", "task", "path"]
    rows = {line.split()[0]: line.split() for line in table[2:] if line.strip() and not line.startswith("open")}
    assert rows["dates-gru-seq2seq"][1:3] == ["encoder-decoder", "dates"]
    assert rows["adding-lstm"][1] == "many-to-one" and Path(rows["adding-lstm"][3]).resolve() == EXAMPLES[0].resolve()
    assert main(["examples", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [Path(e["path"]).name for e in listed] == [p.name for p in EXAMPLES]
    assert {e["architecture"] for e in listed} == {"one-to-many", "many-to-one", "many-to-many", "encoder-decoder"}


def test_version_is_the_installed_distributions(capsys) -> None:
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"rnn-designer {version('rnn-designer')}"


def test_verbose_and_quiet_set_the_diagnostics_on_stderr(capsys) -> None:
    path = str(EXAMPLES[0])
    assert main(["check", path]) == 0
    assert capsys.readouterr().err == ""
    assert main(["-v", "check", path]) == 0
    captured = capsys.readouterr()
    assert f"{path}: design adding-lstm, 4 nodes, 3 wires" in captured.err and "debug" not in captured.err
    assert "architecture: many-to-one" in captured.out  # the result still goes to stdout
    assert main(["check", path, "-vv"]) == 0
    assert "debug engine.cli.main: rnn-designer " in capsys.readouterr().err
    assert main(["check", "-q", path]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "architecture: many-to-one" in captured.out
    assert main(["-q", "-v", "check", path]) == 2
    assert "cannot be used together" in capsys.readouterr().err


def test_quiet_silences_warnings_but_not_errors(capsys) -> None:
    import logging

    from engine.cli.main import diagnostics

    with diagnostics(0):
        logging.getLogger("engine.cli.decode").warning("no --checkpoint given")
    assert capsys.readouterr().err == "warning: no --checkpoint given\n"
    with diagnostics(-1):
        logging.getLogger("engine.cli.decode").warning("no --checkpoint given")
        logging.getLogger("engine").error("the run failed")
    assert capsys.readouterr().err == "error: the run failed\n"


def test_the_cli_does_not_import_torch_to_check_list_or_print_its_version() -> None:
    code = ("import sys; from engine.cli.main import main; "
            f"codes = [main(['--version']), main(['examples']), main(['check', {str(EXAMPLES[0])!r}])]; "
            "print('engine modules loaded:', sorted(m for m in sys.modules if m.startswith('engine')), file=sys.stderr); "
            "sys.exit(1 if 'torch' in sys.modules or any(codes) else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, ("a module engine.cli imports at the top loads torch (import it inside the command "
                                    "that needs it; torch takes seconds):\n" + result.stderr)


def test_is_bundled_knows_the_installed_files_from_the_users(tmp_path: Path) -> None:
    from engine.resources import example_paths, is_bundled

    assert all(is_bundled(p) for p in example_paths())
    (tmp_path / "mine.rnnd").write_text("{}")
    assert not is_bundled(tmp_path / "mine.rnnd") and not is_bundled("relative/nowhere.rnnd")


def test_a_pipe_closed_early_is_not_an_internal_error(monkeypatch, capsys) -> None:
    class ClosedPipe:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())  # `rnn-designer examples | head -1`
    assert main(["examples"]) == 141
    assert "internal error" not in capsys.readouterr().err


def test_every_bundled_example_and_template_checks_without_a_single_problem() -> None:
    """What the app hands a user — the examples and the four templates — fits its task exactly:
    no error and no "larger than needed" warning on the canvas the first time they open it."""
    from engine.document.templates import TEMPLATES, template
    from engine.resources import example_paths

    designs = {p.name: load_design(p) for p in example_paths()} | {a: template(a) for a in TEMPLATES}
    for name, design in designs.items():
        problems = [p.message for p in check_design(design).problems]
        assert problems == [], f"{name}: {problems}"
