"""Build ``labels-sc.otf``: the glyphs annotated images need, cut from Noto Sans CJK SC Regular.

The annotated PNG (``check --annotate``, the page's picture) labels its lines with the rule's title
in the run's language; OpenCV draws ASCII only, and a Windows laptop or a server may have no CJK
font, so a small subset ships with the package (~100 KB instead of the 16 MB font). It holds ASCII,
the punctuation below, every character of the rules' Chinese titles and messages and the lines of
the shot-number cards (photocheck/cards/pdf.py draws them with it); run this again after adding a
rule (tests/test_annotate.py fails when a title has a character it lacks) or changing a card's text.

    pip install fonttools; apt-get install fonts-noto-cjk   # or any copy of NotoSansCJK-Regular.ttc / NotoSansCJKsc-Regular.otf
    python photocheck/fonts/make_font.py [path/to/NotoSansCJK-Regular.ttc]
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

HERE = Path(__file__).resolve().parent
DEFAULT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
EXTRA = "：；，。、（）【】《》“”‘’—–…·×÷±≥≤≠°Δ→←↑↓✓✗％"


def wanted_text() -> str:
    sys.path.insert(0, str(HERE.parents[1]))
    from photocheck.cards.pdf import CARD_ZH
    from photocheck.rules import all_rules

    chars = {chr(c) for c in range(0x20, 0x7F)} | set(EXTRA) | set(CARD_ZH)
    for r in all_rules():
        chars |= set(r.title[0] if isinstance(r.title, tuple) else str(r.title))
        for zh_en in (r.messages or {}).values():
            chars |= set(zh_en[0])
    return "".join(sorted(chars))


def sc_font(path: str) -> TTFont:
    if path.lower().endswith(".ttc"):
        for f in TTCollection(path).fonts:
            if "CJK SC" in f["name"].getDebugName(1):
                return f
        raise SystemExit(f"{path}: no Noto Sans CJK SC face in it")
    return TTFont(path)


def main(src: str = DEFAULT) -> None:
    font = sc_font(src)
    opts = subset.Options()
    opts.layout_features = []  # no shaping needed for labels
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep copyright and licence
    opts.desubroutinize = False
    s = subset.Subsetter(opts)
    s.populate(text=wanted_text())
    s.subset(font)
    name = font["name"]
    for rec in name.names:  # a modified version gets its own name (OFL; the font's reserved name is "Source")
        if rec.nameID in (1, 4):
            rec.string = "photocheck labels (Noto Sans CJK SC subset)"
        elif rec.nameID == 6:
            rec.string = "photocheck-labels-sc"
        elif rec.nameID == 3:
            rec.string = "photocheck-labels-sc;subset of Noto Sans CJK SC Regular"
    out = HERE / "labels-sc.otf"
    font.recalcTimestamp = False  # keep the source's date: the same source gives the same bytes (README's sha256)
    font.save(out)
    print(f"{out}: {out.stat().st_size} bytes, {len(wanted_text())} characters")


if __name__ == "__main__":
    main(*sys.argv[1:])
