"""Bad command lines: a user's mistake exits 1 or 2 with the place and what to do — never an
"internal error", a traceback or a hang (issue 14, "The command line" and "Data files")."""
from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.document.design_file import save_design
from engine.document.templates import template

TASK = {"name": "adding", "seq_len": 8, "train_size": 64, "val_size": 16}


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    d = template("many-to-one", cell="gru", hidden_size=8)
    d.set_metadata("task", TASK)
    d.set_metadata("training", {"steps": 2, "batch_size": 16, "probe_every": 0})
    paths = {"design": tmp_path / "d.rnnd", "file": tmp_path / "a-file"}
    save_design(d, paths["design"])
    paths["file"].write_text("not a folder")
    for name, training in (("list", [1, 2]), ("seed", {"seed": "abc"}), ("wd", {"weight_decay": -1}),
                           ("soon", {"time_limit": "soon"})):
        bad = template("many-to-one", cell="gru", hidden_size=8)
        bad.set_metadata("task", TASK)
        bad.set_metadata("training", training)
        paths[name] = tmp_path / f"{name}.rnnd"
        save_design(bad, paths[name])
    header = tmp_path / "header.csv"
    header.write_text("a,b,target\n")
    paths["header"] = header
    dec = template("encoder-decoder", cell="gru", hidden_size=8, src_vocab=12, tgt_vocab=12, embed_dim=4, max_len=5)
    dec.set_metadata("task", {"name": "reverse", "symbols": 8})
    paths["dec"] = tmp_path / "dec.rnnd"
    save_design(dec, paths["dec"])
    spell = template("one-to-many", hidden_size=8, num_classes=100, tgt_vocab=32, embed_dim=4, max_len=5)
    paths["spell"] = tmp_path / "spell.rnnd"
    save_design(spell, paths["spell"])
    return paths


CASES = [
    (["train", "{design}", "--task-param", "seed=abc"], 1, r'parameter "seed": expected a whole number'),
    (["train", "{design}", "--out", "{file}"], 1, r"--out .*a-file: is a file; give a folder"),
    (["train", "{design}", "--out", "{file}/run"], 1, r"--out .*a-file/run: lies under .*a-file, which is a file"),
    (["train", "{list}"], 1, r'list.rnnd: metadata "training": the training settings must be an object'),
    (["train", "{seed}"], 1, r'seed.rnnd: metadata "training": training setting "seed": must be a whole number'),
    (["train", "{wd}"], 1, r'metadata "training": training setting "weight_decay": must be a number of at least 0'),
    (["train", "{soon}"], 1, r'metadata "training": training setting "time_limit": must be a positive number'),
    (["train", "{design}", "--data", "{header}"], 1, r"header.csv: only a header row, no data"),
    (["train", "{design}", "--time-limit", "-1"], 1, r"--time-limit -1.0: must be a positive number of seconds"),
    (["train", "{design}", "--time-limit", "nan"], 1, r"--time-limit nan: must be a positive number"),
    (["train", "{design}", "--clip", "nan"], 1, r"--clip nan: must be a positive number, or 0"),
    (["train", "{design}", "--lr", "inf"], 1, r"--lr inf: must be a positive number"),
    (["train", "{design}", "--nproc", "0"], 1, r"--nproc 0: give a number of at least 1"),
    (["train", "{design}", "--nproc", "-1"], 1, r"--nproc -1: give a number of at least 1"),
    (["train", "{design}", "--out", "/sys/rnn-designer-test-run"], 1, r"/sys.*cannot be written: .*not writable"),
    (["decode", "{dec}", "--ids", "-i", "5 99999"], 1, r'--input "5 99999": token id 99999 is outside the design\'s '
                                                       r"source vocabulary \(0 to 11\)"),
    (["decode", "{dec}", "--ids", "-i", "-5"], 1, r'--input "-5": token id -5 is outside'),
    (["decode", "{spell}", "-i", "250"], 1, r'--input "250": class id 250 is outside the design\'s classes \(0 to 99\)'),
    (["decode", "{dec}", "-i", "abc", "--max-len", "1000000000"], 1, r"--max-len 1000000000: must be between 1 and 10,000"),
    (["decode", "{dec}", "-i", "abc", "--alpha", "nan"], 1, r"--alpha nan: the length normalisation must be a finite"),
    (["decode", "{dec}", "-i", "abc", "--alpha", "-1"], 1, r"--alpha -1.0: the length normalisation"),
    (["decode", "{dec}", "-i", "abc", "--beam", "0"], 1, r"--beam 0: must be between 1 and 1,000"),
    (["decode", "{dec}", "-i", "abc", "--max-len", "3", "--min-len", "3"], 1, r"--min-len 3: must be less than --max-len 3"),
    (["check", "{file}"], 2, r"a-file: line 1 column 1: not valid JSON"),
]


@pytest.mark.parametrize("argv, code, words", CASES)
def test_a_users_mistake_is_named_with_what_to_do(files: dict[str, Path], argv: list[str], code: int, words: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    argv = [a.format(**{k: str(v) for k, v in files.items()}) for a in argv]
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == code, err
    assert "internal error" not in err and "Traceback" not in err
    import re

    assert re.search(words, err), err


def test_a_full_disk_names_the_folder(files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    import engine.training.checkpoint as checkpoint

    def full(items: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint, "atomic_write_many", full)
    out = tmp_path / "run"
    rc = main(["train", str(files["design"]), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 1 and "internal error" not in err
    assert "cannot be written: the disk is full (folder " in err and str(out) in err and "free some space" in err


def test_eval_refuses_a_sidecar_naming_a_task_the_design_does_not_fit(files: dict[str, Path], tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["train", str(files["design"]), "--out", str(out), "--quiet"]) == 0
    sidecar = out / "latest.json"
    meta = json.loads(sidecar.read_text())
    meta["task"] = {"name": "reber"}  # a token task for a model of real sequences
    sidecar.write_text(json.dumps(meta))
    capsys.readouterr()
    rc = main(["eval", str(files["design"]), "--checkpoint", str(out)])
    err = capsys.readouterr().err
    assert rc == 1 and "internal error" not in err
    assert 'its sidecar\'s field "task" names task "reber"' in err
