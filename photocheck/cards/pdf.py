"""Printable A4 sheets of shot-number cards: QR code, the number in large digits, cut marks, one line
of instructions in Chinese. Vector output (reportlab draws the QR modules as filled rectangles, so
the code is sharp at any printer resolution); the QR matrix comes from segno.

Sizes (docs/accuracy.md, "Shot-number cards"): at the default 4 cards a page each card is 91 × 134 mm
and its QR symbol 70 mm wide, 2.4–2.8 mm a module (version 3 / 2). A card held at chest height in a
head-and-shoulders frame 60–80 cm wide covers 11–15 % of the width; a module is then 3–4.5 px on the
batch's working image (1000 px wide) and 7–25 px on the 2400–6000 px camera file the reader refines
on. The quiet zone is 4 modules of white inside the card, so fingers on the card's edge do not touch it.

>>> from photocheck.cards import write_cards
>>> write_cards([1, 2, 3], "cards.pdf", session="S1")   # doctest: +SKIP
1
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

from .payload import card_text, session_label

MM = 72 / 25.4  # PDF points per millimetre
PAGE_W, PAGE_H = 210.0, 297.0  # A4, mm
MARGIN, GUTTER = 10.0, 8.0  # mm: page margin (most printers cannot print the last 4 mm) and space between cards
#: cards per page → (columns, rows)
LAYOUTS = {1: (1, 1), 2: (1, 2), 4: (2, 2), 6: (2, 3), 8: (2, 4)}
QUIET = 4  # modules of white around the symbol (the QR standard's minimum)
ERROR = "q"  # error correction Q: 25 % of the code may be lost to glare or a thumb
INSTRUCTION = "拍照前先将此卡举在胸前拍一张，再拍本人；拍完交还摄影师。"


@dataclass(frozen=True)
class CardBox:
    """One card on a page, in mm from the page's bottom-left corner."""
    x: float
    y: float
    w: float
    h: float

    @property
    def qr_side(self) -> float:
        """The QR area (symbol + quiet zone), a square at the top of the card."""
        return min(self.w, self.h * 0.66)


def card_boxes(per_page: int) -> list[CardBox]:
    """The cards of a page, top-left first, row by row."""
    cols, rows = LAYOUTS[per_page]
    w = (PAGE_W - 2 * MARGIN - (cols - 1) * GUTTER) / cols
    h = (PAGE_H - 2 * MARGIN - (rows - 1) * GUTTER) / rows
    return [CardBox(MARGIN + c * (w + GUTTER), PAGE_H - MARGIN - (r + 1) * h - r * GUTTER, w, h)
            for r in range(rows) for c in range(cols)]


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR modules of ``text`` (dark = True), smallest version at error correction Q."""
    import segno

    qr = segno.make_qr(text, error=ERROR, boost_error=False)
    return [[bool(v) for v in row] for row in qr.matrix]


#: TrueType Chinese fonts of Windows and Linux desktops, embedded (as a subset) when one is found
CJK_FONTS = ("C:/Windows/Fonts/simhei.ttf", "C:/Windows/Fonts/msyh.ttc", "C:/Windows/Fonts/simsun.ttc",
             "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
             "/usr/share/fonts/truetype/arphic/uming.ttc")


def _register_fonts() -> str:
    """The font of the Chinese line: a system TrueType font embedded as a subset when there is one
    (the PDF then prints the same everywhere), else Adobe's STSong-Light, which PDF viewers supply
    themselves (Acrobat, Chrome and Edge do; a viewer without Chinese fonts leaves the line blank —
    the QR code and the digits need no font of the system)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    names = pdfmetrics.getRegisteredFontNames()
    if "photocheck-zh" in names:
        return "photocheck-zh"
    for path in CJK_FONTS:
        if os.path.isfile(path):
            try:
                pdfmetrics.registerFont(TTFont("photocheck-zh", path, subfontIndex=0))
                return "photocheck-zh"
            except Exception:  # noqa: BLE001, S112 — a font reportlab cannot embed (CFF outlines): try the next
                continue
    if "STSong-Light" not in names:
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _draw_card(c, box: CardBox, number: int, session: str, zh_font: str) -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    mat = qr_matrix(card_text(number, session))
    n = len(mat)
    side = box.qr_side
    mod = side / (n + 2 * QUIET)
    x0 = box.x + (box.w - side) / 2 + QUIET * mod
    y_top = box.y + box.h - QUIET * mod  # top edge of the symbol
    c.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(mat):  # one rectangle per run of dark modules: a small file, no hairline gaps
        col = 0
        while col < n:
            if row[col]:
                end = col
                while end < n and row[end]:
                    end += 1
                c.rect((x0 + col * mod) * MM, (y_top - (r + 1) * mod) * MM, (end - col) * mod * MM, mod * MM,
                       stroke=0, fill=1)
                col = end
            else:
                col += 1
    # the number, as large as the space under the code allows
    below = box.h - side  # mm under the QR area
    digits = str(number)
    size_pt = min(below * 0.55 / 0.72, box.w * 0.9 / (0.556 * len(digits))) * MM  # Helvetica-Bold: caps 0.72 em, digits 0.556 em
    c.setFont("Helvetica-Bold", size_pt)
    base = box.y + below * 0.30
    c.drawCentredString((box.x + box.w / 2) * MM, base * MM, digits)
    # one line of instructions, and what the card is
    zh_pt = min(3.2 * MM, box.w * 0.92 * MM / max(1.0, stringWidth(INSTRUCTION, zh_font, 1)))
    c.setFont(zh_font, zh_pt)
    c.drawCentredString((box.x + box.w / 2) * MM, (box.y + below * 0.14) * MM, INSTRUCTION)
    foot = f"photocheck 拍摄号卡 v1{'  ·  场次 ' + session if session else ''}"
    c.setFont(zh_font, min(zh_pt, 2.4 * MM))
    c.setFillColorRGB(0.35, 0.35, 0.35)
    c.drawCentredString((box.x + box.w / 2) * MM, (box.y + below * 0.05) * MM, foot)
    c.setFillColorRGB(0, 0, 0)


def _cut_marks(c, box: CardBox) -> None:
    """Short lines in the margins at each corner, off the card, so the cut edge carries no ink."""
    gap, length = 1.5, 5.0
    c.setLineWidth(0.3)
    c.setStrokeColorRGB(0.3, 0.3, 0.3)
    for cx, sx in ((box.x, -1), (box.x + box.w, 1)):
        for cy, sy in ((box.y, -1), (box.y + box.h, 1)):
            c.line(cx * MM, (cy + sy * gap) * MM, cx * MM, (cy + sy * (gap + length)) * MM)
            c.line((cx + sx * gap) * MM, cy * MM, (cx + sx * (gap + length)) * MM, cy * MM)


def cards_pdf(numbers: list[int], session: str | None = None, per_page: int = 4) -> bytes:
    """The PDF (bytes) of one card per shot number, ``per_page`` cards on each A4 page."""
    from reportlab.pdfgen import canvas

    if per_page not in LAYOUTS:
        raise ValueError(f"per_page must be one of {sorted(LAYOUTS)}")
    label = session_label(session)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(PAGE_W * MM, PAGE_H * MM), invariant=1)  # invariant: same input, same bytes
    c.setTitle(f"photocheck 拍摄号卡 {numbers[0]}–{numbers[-1]}" if numbers else "photocheck")
    c.setCreator("photocheck")
    zh_font = _register_fonts()
    boxes = card_boxes(per_page)
    for k, number in enumerate(numbers):
        box = boxes[k % per_page]
        _draw_card(c, box, number, label, zh_font)
        _cut_marks(c, box)
        if k % per_page == per_page - 1 and k != len(numbers) - 1:
            c.showPage()
    c.showPage()
    c.save()
    return buf.getvalue()


def write_cards(numbers: list[int], out: str | os.PathLike, session: str | None = None, per_page: int = 4,
                force: bool = False) -> int:
    """Write the cards' PDF to ``out`` (never over an existing file unless ``force``); returns the
    number of pages."""
    from ..batch.atomic import atomic_write

    path = Path(out)
    if path.exists() and not force:
        raise FileExistsError(str(path))
    data = cards_pdf(numbers, session, per_page)
    atomic_write(path, data)
    return -(-len(numbers) // per_page)
