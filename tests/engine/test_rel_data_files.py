"""Data files that used to crash or mislead: a header with no rows, a byte-order mark, an unclosed
quote (issue 14, "Data files")."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.data import task_for_file
from engine.errors import DataError


def _write(tmp_path: Path, name: str, text: str, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


@pytest.mark.parametrize("text", ["label,text\n", "a,b,target\n", "label,text\n\n\n"])
def test_a_header_without_rows_says_so(tmp_path: Path, text: str) -> None:
    with pytest.raises(DataError, match=r"h.csv: only a header row, no data; add .*rows below it"):
        task_for_file(_write(tmp_path, "h.csv", text))


def test_a_byte_order_mark_is_not_part_of_the_first_label(tmp_path: Path) -> None:
    rows = "label,text\n" + "".join(f"{'pos' if i % 2 else 'neg'},text number {i}\n" for i in range(10))
    task = task_for_file(_write(tmp_path, "bom.csv", rows, bom=True))
    assert task.name == "csv_classes" and task.classes == ["neg", "pos"]
    series = task_for_file(_write(tmp_path, "s.csv", "x,y\n" + "".join(f"{i},{i * 2}\n" for i in range(60)), bom=True),
                           window=4)
    assert series.columns == ["x", "y"]


def test_an_unclosed_quote_names_its_line_instead_of_swallowing_the_file(tmp_path: Path) -> None:
    rows = "label,text\npos,fine\nneg,\"this never ends\npos,lost row\nneg,another lost row\n"
    with pytest.raises(DataError, match=r"q.csv, line 3: a double quote opens a field that is never closed"):
        task_for_file(_write(tmp_path, "q.csv", rows))
    quoted = 'label,text\npos,"a, b"\nneg,"say ""hi"""\npos,"two\nlines"\nneg,plain\n'
    assert len(task_for_file(_write(tmp_path, "ok.csv", quoted)).texts) == 4
