"""Vocabularies: token strings ↔ ids, with the four reserved ids every model in RNN Designer shares."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")


@dataclass
class Vocab:
    """An ordered list of tokens; ids 0–3 are always ``<pad>``, ``<bos>``, ``<eos>``, ``<unk>``."""

    tokens: list[str] = field(default_factory=list)
    join: str = ""  # how decode() glues tokens: "" for characters, " " for words

    def __post_init__(self) -> None:
        body = [t for t in self.tokens if t not in SPECIALS]
        if len(set(body)) != len(body):
            raise ValueError("a vocabulary lists each token once")
        self.tokens = list(SPECIALS) + body
        self._index = {t: i for i, t in enumerate(self.tokens)}

    @classmethod
    def from_texts(cls, texts: Iterable[Sequence[str]], join: str = "") -> Vocab:
        """All distinct tokens of ``texts`` (strings count as character sequences), sorted."""
        seen: set[str] = set()
        for t in texts:
            seen.update(t)
        return cls(sorted(seen), join)

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, text: Sequence[str], bos: bool = False, eos: bool = False) -> list[int]:
        ids = [self._index.get(t, UNK) for t in text]
        return ([BOS] if bos else []) + ids + ([EOS] if eos else [])

    def decode(self, ids: Iterable[int], strip: bool = True) -> str:
        """Ids back to text; with ``strip``, stops at ``<eos>`` and drops ``<pad>``/``<bos>``."""
        out = []
        for i in ids:
            i = int(i)
            if strip and i == EOS:
                break
            if strip and i in (PAD, BOS):
                continue
            out.append(self.tokens[i] if 0 <= i < len(self.tokens) else SPECIALS[UNK])
        return self.join.join(out)

    def token(self, i: int) -> str:
        return self.tokens[i] if 0 <= i < len(self.tokens) else SPECIALS[UNK]

    def to_dict(self) -> dict:
        return {"tokens": self.tokens[len(SPECIALS):], "join": self.join}

    @classmethod
    def from_dict(cls, d: dict) -> Vocab:
        return cls(list(d["tokens"]), d.get("join", ""))
