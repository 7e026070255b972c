"""Writes the palette's block icons (one SVG per block kind). Run: python assets/icons/generate.py

Each icon is a rounded square in the block group's colour with a white glyph; the colours match
``designer/canvas/style.py``.
"""
from pathlib import Path

GROUP = {"Inputs": "#2a9d8f", "Cells": "#6c63ff", "Layers": "#5b7083", "Readouts": "#d08c2b",
         "Sequence to sequence": "#c2477a", "Heads": "#3f9c4a"}
S = 'stroke="white" stroke-width="1.6" fill="none" stroke-linecap="round" stroke-linejoin="round"'
F = 'fill="white"'


def text(t: str, size: float = 7.5) -> str:
    return (f'<text x="12" y="{12 + size * 0.36:.1f}" font-family="DejaVu Sans, Arial, sans-serif" '
            f'font-weight="bold" font-size="{size}" text-anchor="middle" fill="white">{t}</text>')


def loop() -> str:  # a small recurrence arrow above the text
    return f'<path d="M8 7.5 A4 3 0 1 1 16 7.5" {S}/><path d="M16 7.5 l-2.2 -0.6 M16 7.5 l0.6 -2.1" {S}/>'


GLYPHS = {
    "token_input": ("Inputs", "".join(f'<rect x="{x}" y="9" width="5" height="6" rx="1" {S}/>' for x in (3.5, 9.5, 15.5))),
    "sequence_input": ("Inputs", f'<path d="M3 12 C5.5 5, 8.5 5, 11 12 S16.5 19, 21 12" {S}/>'),
    "vector_input": ("Inputs", "".join(f'<rect x="9" y="{y}" width="6" height="4" {S}/>' for y in (4, 8, 12, 16))),
    "class_input": ("Inputs", f'<path d="M4 8 L13 8 L19 12 L13 16 L4 16 Z" {S}/><circle cx="8" cy="12" r="1.3" {F}/>'),
    "embedding": ("Layers", f'<rect x="3" y="9" width="5" height="6" rx="1" {S}/><path d="M9.5 12 h3 m-1.5 -1.5 l1.5 1.5 l-1.5 1.5" {S}/>'
                  + "".join(f'<rect x="15" y="{y}" width="6" height="3.2" {S}/>' for y in (5, 9.4, 13.8))),
    "dense": ("Layers", "".join(f'<line x1="5" y1="{a}" x2="19" y2="{b}" stroke="white" stroke-width="0.9"/>'
                                for a in (6, 12, 18) for b in (8, 16))
              + "".join(f'<circle cx="5" cy="{y}" r="2" {F}/>' for y in (6, 12, 18))
              + "".join(f'<circle cx="19" cy="{y}" r="2" {F}/>' for y in (8, 16))),
    "dropout": ("Layers", "".join(f'<circle cx="{x}" cy="{y}" r="2.2" {F if (x + y) % 3 else S}/>'
                                  for x in (6, 12, 18) for y in (6, 12, 18))),
    "elman": ("Cells", loop() + text("RNN", 7)),
    "jordan": ("Cells", loop() + text("JRN", 7)),
    "gru": ("Cells", loop() + text("GRU", 7)),
    "min_gru": ("Cells", loop() + text("mGRU", 6)),
    "lstm": ("Cells", loop() + text("LSTM", 6.3)),
    "last_step": ("Readouts", "".join(f'<rect x="{x}" y="7" width="3" height="10" {S}/>' for x in (3, 8, 13))
                  + f'<rect x="18" y="7" width="3" height="10" {F}/>'),
    "mean_steps": ("Readouts", "".join(f'<rect x="{x}" y="{y}" width="3" height="{20 - y}" {S}/>'
                                       for x, y in ((3, 9), (8, 5), (13, 11), (18, 8)))
                   + '<line x1="2" y1="11" x2="22" y2="11" stroke="white" stroke-width="2"/>'),
    "every_step": ("Readouts", "".join(f'<rect x="{x}" y="12" width="3" height="8" {S}/><path d="M{x + 1.5} 10 v-6 m-1.5 1.5 l1.5 -1.5 l1.5 1.5" {S}/>'
                                       for x in (3.5, 10.5, 17.5))),
    "bridge": ("Sequence to sequence", f'<path d="M3 17 C6 6, 18 6, 21 17" {S}/><line x1="3" y1="17" x2="21" y2="17" {S}/>'
               + f'<line x1="8" y1="11" x2="8" y2="17" {S}/><line x1="12" y1="9.5" x2="12" y2="17" {S}/><line x1="16" y1="11" x2="16" y2="17" {S}/>'),
    "decoder": ("Sequence to sequence", loop() + text("DEC", 7)),
    "classifier": ("Heads", "".join(f'<rect x="{x}" y="{y}" width="3.4" height="{19 - y}" {F}/>'
                                    for x, y in ((3.5, 14), (8, 6), (12.5, 12), (17, 16)))),
    "regressor": ("Heads", "".join(f'<circle cx="{x}" cy="{y}" r="1.4" {F}/>' for x, y in ((5, 16), (9, 14), (12, 11), (16, 9), (19, 6)))
                  + f'<line x1="3" y1="18" x2="21" y2="5" {S}/>'),
}


def main() -> None:
    here = Path(__file__).parent
    for kind, (group, glyph) in GLYPHS.items():
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">'
               f'<rect x="0.5" y="0.5" width="23" height="23" rx="5" fill="{GROUP[group]}"/>{glyph}</svg>\n')
        (here / f"{kind}.svg").write_text(svg)
    print(f"wrote {len(GLYPHS)} icons to {here}")


if __name__ == "__main__":
    main()
