"""What the explorer searches with and on: models from the training panel's record, sources typed
or picked, and the messages a user gets for what cannot work (no Qt needed for most of it)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from designer.beam import BeamPanel
from designer.beam.model_source import BeamModel
from engine import compile_design, template
from engine.data import get_task
from engine.errors import DataError, DesignerError


def record(architecture: str, task=None, **options):  # noqa: ANN001, ANN003, ANN201
    torch.manual_seed(0)
    design = template(architecture, **options)
    return SimpleNamespace(model=compile_design(design), task=task, design_hash=design.structure_hash(),
                           checkpoint_path=None, metrics={"exact_match": 0.5})


def test_one_to_many_reads_class_ids_and_names_the_range():
    task = get_task("spell_numbers")
    bm = BeamModel.from_trained(record("one-to-many", task, hidden_size=16, num_classes=100, tgt_vocab=32,
                                       embed_dim=8, max_len=10))
    assert bm.source_hint() == "a class id, e.g. 7"
    assert int(bm.encode("7").x) == 7 and bm.encode("7").length is None
    with pytest.raises(DataError, match=r"class id 100 is outside what the model reads \(0 to 99\)"):
        bm.encode("100")
    with pytest.raises(DataError, match="type a class id"):
        bm.encode("seven")
    examples = bm.examples(5)
    assert len(examples) == 5 and all(e.target for e in examples)  # picked examples know their answer
    assert "spell" in bm.describe().lower() or "number" in bm.describe().lower()


def test_token_sources_mark_unknown_characters_and_refuse_empty():
    task = get_task("dates")
    bm = BeamModel.from_trained(record("encoder-decoder", task, hidden_size=16, src_vocab=len(task.source_vocab),
                                       tgt_vocab=len(task.target_vocab), embed_dim=8, max_len=12))
    ex = bm.encode("21 Nov 2026")
    assert ex.x.tolist() == task.source_vocab.encode(list("21 Nov 2026")) and ex.length == 11 and not ex.unknown
    assert bm.encode("21 Nov 2026 ☃").unknown == ("☃",)
    with pytest.raises(DataError, match="empty"):
        bm.encode("  ")
    assert bm.show([4, 5, 2, 6]) == task.target_vocab.decode([4, 5])  # <eos> ends the text


def test_the_record_is_copied_so_later_training_cannot_change_the_search():
    rec = record("encoder-decoder", None, hidden_size=16, src_vocab=20, tgt_vocab=9, embed_dim=8, max_len=6)
    bm = BeamModel.from_trained(rec)
    with torch.no_grad():
        for p in rec.model.parameters():
            p.add_(1.0)
    assert all(not torch.equal(a, b) for a, b in zip(bm.model.parameters(), rec.model.parameters()))
    assert bm.source_vocab is None and "5 6 7" in str(pytest.raises(DataError, bm.encode, "abc").value)
    assert bm.encode("5 6 7").x.tolist() == [5, 6, 7]
    with pytest.raises(DataError, match=r"token id 20 is outside what the model reads \(0 to 19\)"):
        bm.encode("5 20")


def test_a_model_that_cannot_generate_is_refused_in_plain_words(qtbot, dialogs):
    with pytest.raises(DesignerError, match="cannot generate sequences"):
        BeamModel.from_trained(record("many-to-one"))
    panel = BeamPanel()
    qtbot.addWidget(panel)
    assert not panel.set_trained(record("many-to-one"))
    assert panel.beam_model is None and panel.search is None
    # every finished run feeds the explorer: a classifier's run must not pop up an error dialog
    assert not dialogs.texts("critical")
    assert "cannot generate sequences" in panel.status_label.text()
    assert not panel.actionStep.isEnabled() and panel.view.hint  # the empty tree says what to do


def test_a_language_model_continues_a_typed_prompt(qtbot):
    task = get_task("char_lm")
    panel = BeamPanel()
    qtbot.addWidget(panel)
    panel.set_animation_ms(0)
    assert panel.set_trained(record("many-to-many", task, cell="gru", hidden_size=16, vocab_size=len(task.source_vocab),
                                    embed_dim=8))
    panel.controls.set_settings(beam_width=2, max_len=6, candidates=1, quiet=True)
    assert panel.set_source_text("The ")
    panel.run_to_end()
    assert panel.search.done and len(panel.nbest_list.rows()) == 2
    assert all(len(h.tokens) <= 6 for h in panel.search.results)
