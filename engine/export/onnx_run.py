"""Running an exported ONNX folder in onnxruntime: the forward, the encoder, one decoder step and
greedy decoding, with numpy only — what a user outside this project would write, read from the
folder's ``manifest.json``. The export's self-check uses it."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np


class OnnxModel:
    """The graphs of one exported folder, each an ``onnxruntime.InferenceSession``."""

    def __init__(self, folder: str | Path) -> None:
        import onnxruntime as ort

        self.folder = Path(folder)
        self.manifest = json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))
        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only: no shape-inference chatter
        self.sessions = {name: ort.InferenceSession(str(self.folder / g["file"]), options,
                                                    providers=["CPUExecutionProvider"])
                         for name, g in self.manifest["graphs"].items()}

    def _feed(self, x: np.ndarray, lengths: np.ndarray | None) -> dict[str, np.ndarray]:
        names = [i["name"] for i in self.manifest["graphs"].get("model", self.manifest["graphs"].get("encoder"))["inputs"]]
        feed = {"x": x}
        if "lengths" in names:
            feed["lengths"] = (np.full((x.shape[0],), x.shape[1], dtype=np.int64) if lengths is None
                               else lengths.astype(np.int64))
        return feed

    def forward(self, x: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
        """The model's output for a batch (classifiers, regressors, taggers)."""
        return self.sessions["model"].run(None, self._feed(x, lengths))[0]

    def encode(self, x: np.ndarray, lengths: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """The decoding state by name: the decoder's state tensors, each (layers, batch, size), and an
        attending decoder's memory and mask."""
        names = [o["name"] for o in self.manifest["graphs"]["encoder"]["outputs"]]
        return dict(zip(names, self.sessions["encoder"].run(None, self._feed(x, lengths))))

    def step(self, tokens: np.ndarray, state: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """One decoder step: log-probabilities (batch, vocab) and the next state (``next_X`` replaces ``X``)."""
        graph = self.manifest["graphs"]["decoder_step"]
        feed = {"tokens": tokens.astype(np.int64), **{i["name"]: state[i["name"]] for i in graph["inputs"][1:]}}
        out = self.sessions["decoder_step"].run(None, feed)
        nxt = dict(state)
        for o, value in zip(graph["outputs"][1:], out[1:]):
            nxt[o["name"][len("next_"):]] = value
        return out[0], nxt

    def generate(self, x: np.ndarray, lengths: np.ndarray | None = None, max_len: int | None = None) -> np.ndarray:
        """Greedy decoding: (batch, T') token ids after <bos>, up to and including <eos>, then 0 (<pad>)."""
        special = self.manifest["special_tokens"]
        pad, bos, eos = special["pad"], special["bos"], special["eos"]
        max_len = max_len or self.manifest["decoding"]["max_len"]
        state = self.encode(x, lengths)
        B = x.shape[0]
        tok = np.full((B,), bos, dtype=np.int64)
        out = np.zeros((B, max_len), dtype=np.int64)
        done = np.zeros((B,), dtype=bool)
        for t in range(max_len):
            log_probs, state = self.step(tok, state)
            log_probs[:, [pad, bos]] = -np.inf  # never generated
            tok = log_probs.argmax(-1).astype(np.int64)
            out[:, t] = np.where(done, pad, tok)
            done |= tok == eos
            if done.all():
                return out[:, : t + 1]
        return out
