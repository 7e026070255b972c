"""P1–P4: a compiled design's training step against the same model written by hand in PyTorch.

Both sides hold the same weights, see the same data, use Adam and the same thread count; the
baselines are written the way a PyTorch user would write them (fused layers, packed sequences).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from engine.document.templates import template
from engine.model.compiler import compile_design

from .harness import Row, paired_medians


class HandManyToOne(nn.Module):
    def __init__(self, rnn: nn.Module, hidden: int, outputs: int = 1) -> None:
        super().__init__()
        self.rnn, self.fc = rnn, nn.Linear(hidden, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)  # (B, T, H)
        return self.fc(out[:, -1])  # (B, O)


class HandSeq2Seq(nn.Module):
    """Bidirectional GRU encoder, tanh bridge, GRU decoder with teacher forcing: the textbook model."""

    def __init__(self, src_vocab: int, tgt_vocab: int, embed: int, hidden: int) -> None:
        super().__init__()
        self.src_embed = nn.Embedding(src_vocab, embed, padding_idx=0)
        self.encoder = nn.GRU(embed, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)
        self.tgt_embed = nn.Embedding(tgt_vocab, embed, padding_idx=0)
        self.decoder = nn.GRU(embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, tgt_vocab)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor, y_in: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(self.src_embed(x), lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, h = self.encoder(packed)  # (2, B, H)
        h0 = torch.tanh(self.bridge(torch.cat([h[0], h[1]], dim=1))).unsqueeze(0)  # (1, B, H)
        out, _ = self.decoder(self.tgt_embed(y_in), h0)  # (B, T', H)
        return self.out(out)  # (B, T', V)


def _train_step(model: nn.Module, opt: torch.optim.Optimizer, loss_fn) -> None:
    opt.zero_grad(set_to_none=True)
    loss = loss_fn()
    loss.backward()
    opt.step()


def _hand_rnn(kind: str, F_: int, H: int) -> nn.Module:
    return {"lstm": nn.LSTM, "gru": nn.GRU}[kind](F_, H, batch_first=True)


def many_to_one_ratio(cell: str, T: int, B: int, F_: int, H: int, device: torch.device, repeats: int,
                      baseline_cell: str | None = None) -> tuple[float, float, float]:
    """(compiled seconds, baseline seconds, ratio) of one training step; baseline = fused nn.<cell>."""
    torch.manual_seed(0)
    design = template("many-to-one", cell=cell, hidden_size=H, features=F_)
    model = compile_design(design).to(device)
    base_kind = baseline_cell or cell
    hand = HandManyToOne(_hand_rnn(base_kind, F_, H), H).to(device)
    if base_kind == cell:  # same weights, loaded by name
        hand.rnn.load_state_dict(model.blocks[cell].rnn.state_dict())
        hand.fc.load_state_dict(model.blocks["head"].linear.state_dict())
    x = torch.rand(B, T, F_, device=device)
    y = torch.rand(B, 1, device=device)
    opt_m = torch.optim.Adam(model.parameters(), 1e-3)
    opt_h = torch.optim.Adam(hand.parameters(), 1e-3)
    a, b = paired_medians(lambda: _train_step(model, opt_m, lambda: model.loss(model(x), y)),
                          lambda: _train_step(hand, opt_h, lambda: F.mse_loss(hand(x), y)), repeats=repeats)
    return a, b, a / b


def p1(device: torch.device, quick: bool) -> list[Row]:
    rows = []
    shapes = [(50, 32, 64, 64)] + ([] if quick else [(100, 64, 512, 512)])
    for T, B, F_, H in shapes:
        a, b, r = many_to_one_ratio("lstm", T, B, F_, H, device, repeats=5 if H > 256 else 15)
        rows.append(Row("P1", "compiled many-to-one LSTM step ÷ hand-written nn.LSTM+nn.Linear",
                        f"T={T} B={B} F={F_} H={H}", r, "≤ 1.05", r <= 1.05,
                        detail={"compiled_ms": a * 1e3, "baseline_ms": b * 1e3}))
    return rows


def p2(device: torch.device, quick: bool) -> list[Row]:
    torch.manual_seed(0)
    src_vocab, tgt_vocab, embed, hidden, B = 64, 15, 32, 128, 64
    design = template("encoder-decoder", cell="gru", hidden_size=hidden, src_vocab=src_vocab, tgt_vocab=tgt_vocab,
                      embed_dim=embed)
    model = compile_design(design).to(device)
    hand = HandSeq2Seq(src_vocab, tgt_vocab, embed, hidden).to(device)
    hand.src_embed.load_state_dict(model.blocks["src_embed"].embed.state_dict())
    hand.encoder.load_state_dict(model.blocks["encoder"].rnn.state_dict())
    hand.bridge.load_state_dict(model.blocks["bridge"].proj.state_dict())
    hand.tgt_embed.load_state_dict(model.blocks["decoder"].embed.state_dict())
    hand.decoder.load_state_dict(model.blocks["decoder"].rnn.state_dict())
    hand.out.load_state_dict(model.blocks["head"].linear.state_dict())
    lengths = torch.randint(8, 21, (B,), device=device)  # "21 Nov 2026" … "November 21, 2026"
    x = torch.randint(4, src_vocab, (B, 20), device=device)
    x[torch.arange(20, device=device).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
    y = torch.randint(4, tgt_vocab, (B, 11), device=device)
    y_in = torch.cat([torch.ones(B, 1, dtype=torch.long, device=device), y[:, :-1]], 1)
    opt_m = torch.optim.Adam(model.parameters(), 1e-3)
    opt_h = torch.optim.Adam(hand.parameters(), 1e-3)
    with torch.no_grad():  # same weights → same loss: the comparison is of the same computation
        torch.testing.assert_close(model(x, lengths, y_in), hand(x, lengths, y_in), atol=1e-5, rtol=0)
    hand_loss = lambda: F.cross_entropy(hand(x, lengths, y_in).reshape(-1, tgt_vocab), y.reshape(-1), ignore_index=0)
    a, b = paired_medians(lambda: _train_step(model, opt_m, lambda: model.loss(model(x, lengths, y_in), y)),
                          lambda: _train_step(hand, opt_h, hand_loss), repeats=9 if quick else 21)
    return [Row("P2", "compiled GRU encoder-decoder step ÷ hand-written seq2seq", f"B={B} T=8..20 T'=11 H={hidden}",
                a / b, "≤ 1.05", a / b <= 1.05, detail={"compiled_ms": a * 1e3, "baseline_ms": b * 1e3})]


def p4(device: torch.device, quick: bool) -> list[Row]:
    rows = []
    for cell in ("jordan", "min_gru"):
        a, b, r = many_to_one_ratio(cell, 50, 32, 64, 64, device, repeats=9, baseline_cell="gru")
        rows.append(Row("P4", f"{cell} step ÷ fused nn.GRU of the same width", "T=50 B=32 F=H=64", r, "≤ 1.3",
                        r <= 1.3, detail={"compiled_ms": a * 1e3, "baseline_ms": b * 1e3}))
    return rows


def scaling(device: torch.device, quick: bool) -> list[Row]:
    """How P1's step time grows with T and with H, for the compiled model and the baseline."""
    rows = []
    Ts = (50, 100) if quick else (50, 100, 200, 400)
    Hs = (64, 256) if quick else (64, 256, 1024)
    for T in Ts:
        a, b, r = many_to_one_ratio("lstm", T, 32, 64, 64, device, repeats=5)
        rows.append(Row("P1-T", f"step time vs T (baseline {b * 1e3:.1f} ms)", f"T={T} B=32 H=64", a * 1e3, "—",
                        None, unit="ms", detail={"ratio": r, "baseline_ms": b * 1e3}))
    for H in Hs:
        a, b, r = many_to_one_ratio("lstm", 50, 32, 64, H, device, repeats=3 if H >= 1024 else 5)
        rows.append(Row("P1-H", f"step time vs H (baseline {b * 1e3:.1f} ms)", f"T=50 B=32 H={H}", a * 1e3, "—",
                        None, unit="ms", detail={"ratio": r, "baseline_ms": b * 1e3}))
    return rows
