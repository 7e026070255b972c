"""Beam search given the wrong thing says which argument is wrong (issue 14, "Beam search inputs")."""
from __future__ import annotations

import pytest
import torch

from engine import compile_design, template
from engine.beam import BeamSearch, beam_search, greedy_search
from engine.vocab import EOS


@pytest.fixture(scope="module")
def enc_dec():
    torch.manual_seed(0)
    d = template("encoder-decoder", cell="gru", hidden_size=8, src_vocab=20, tgt_vocab=9, embed_dim=4, max_len=5)
    return compile_design(d).eval()


def test_lists_are_taken_like_tensors(enc_dec) -> None:
    x = [[5, 6, 7], [8, 9, 4]]
    from_list = beam_search(enc_dec, x, [3, 2], beam_width=2)
    from_tensor = beam_search(enc_dec, torch.tensor(x), torch.tensor([3, 2]), beam_width=2)
    assert [h.tokens for hs in from_list for h in hs] == [h.tokens for hs in from_tensor for h in hs]
    assert len(greedy_search(enc_dec, x)) == 2
    assert BeamSearch(enc_dec, [5, 6, 7], 3, beam_width=2).run()


@pytest.mark.parametrize("call, words", [
    (lambda m: beam_search(m, torch.tensor([5, 6, 7])), r"x: .*takes token ids shaped \(B, T\), got shape \(3,\); "
                                                        r"for one example use x.unsqueeze\(0\)"),
    (lambda m: beam_search(m, torch.tensor([[5, 99]])), r"x: id 99 at \[0, 1\] is outside the model's vocabulary \(0 to 19\)"),
    (lambda m: beam_search(m, torch.tensor([[5, -1]])), r"x: id -1 at \[0, 1\] is outside"),
    (lambda m: greedy_search(m, [[5, 6]], [3]), r"lengths: input 0 has length 3, but must be between 1 and 2"),
    (lambda m: beam_search(m, [[5, 6]], [1, 2]), r"lengths: 2 lengths for 1 inputs"),
    (lambda m: beam_search(m, [[5, 6]], banned=[1, 900]), r"banned: id 900 is outside the output vocabulary \(0 to 8\)"),
    (lambda m: beam_search(m, [[5, 6]], alpha=float("nan")), r"alpha: .*finite number ≥ 0, got nan"),
    (lambda m: beam_search(m, [[5, 6]], max_len=10**9), r"max_len: the maximum length must be between 1 and 10,000"),
    (lambda m: beam_search(m, [["a", "b"]]), r"x: expected token ids as a tensor or a list of numbers"),
    (lambda m: BeamSearch(m, [5, 300]), r"source: id 300 at \[1\] is outside the model's vocabulary"),
    (lambda m: BeamSearch(m, [[5, 6]]), r"source: .*takes token ids shaped \(T\), got shape \(1, 2\)"),
    (lambda m: BeamSearch(m, [5, 6], 4), r"lengths: input 0 has length 4, but must be between 1 and 2"),
])
def test_bad_inputs_name_their_argument(enc_dec, call, words: str) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match=words):
        call(enc_dec)


def test_forcing_eos_respects_min_len(enc_dec) -> None:
    bs = BeamSearch(enc_dec, [5, 6, 7], beam_width=2, min_len=2)
    with pytest.raises(ValueError, match=r"prefix: it ends with <eos> after 0 tokens, but min_len is 2"):
        bs.force([EOS])
    assert bs.steps == 0  # the failed force left nothing behind
    bs.force([5, 6, EOS])  # two tokens, then <eos>: allowed
    assert bs.done and bs.results[0].tokens == (5, 6, EOS)


def test_a_class_input_takes_one_id_per_example_within_its_classes() -> None:
    torch.manual_seed(0)
    model = compile_design(template("one-to-many", hidden_size=8, num_classes=10, tgt_vocab=9, embed_dim=4,
                                    max_len=4)).eval()
    with pytest.raises(ValueError, match=r"x: id 10 at \[0\] is outside the model's classes \(0 to 9\)"):
        beam_search(model, torch.tensor([10]))
    with pytest.raises(ValueError, match=r"x: .*takes class ids shaped \(B,\), got shape \(1, 1\)"):
        beam_search(model, [[3]])
    with pytest.raises(ValueError, match=r"lengths: the model's input is not a sequence"):
        beam_search(model, [3], [1])
    assert len(beam_search(model, [3, 7], beam_width=2)) == 2
