"""Printable A4 sheets of shot-number cards: QR code, the number in large digits, cut marks, one line
of instructions in Chinese. Vector output (reportlab draws the QR modules as filled rectangles, so
the code is sharp at any printer resolution); the QR matrix comes from segno. The Chinese lines are
600 dpi pictures drawn from the shipped font, so they print without any font of the viewer.

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


#: 600 dpi: the Chinese lines are pictures this sharp (a printer's own resolution; the strokes of a
#: 3 mm character stay smooth under a loupe)
ZH_DPI = 600
FOOTER = "photocheck 拍摄号卡 v1"
#: every character the card draws in Chinese (make_font.py puts them into the shipped font)
CARD_ZH = INSTRUCTION + FOOTER + "  ·  场次 "


def _zh_font(px: int):
    """The shipped CJK subset (photocheck/fonts/labels-sc.otf) at ``px`` pixels."""
    from importlib import resources

    from PIL import ImageFont

    data = resources.files("photocheck").joinpath("fonts/labels-sc.otf").read_bytes()
    return ImageFont.truetype(io.BytesIO(data), px)


def _draw_zh_line(c, text: str, cx: float, base: float, size: float, grey: int = 0) -> None:
    """``text`` centred on ``cx`` with its baseline at ``base`` (mm), ``size`` mm high, as a 600 dpi
    grey picture drawn from the shipped font. A PDF font would be either a system font (none on a
    minimal Linux) or a CID font the viewer supplies (a print shop's RIP or a viewer without Chinese
    fonts leaves the line blank); reportlab cannot embed the shipped OTF (CFF outlines), so the line
    is a picture: the same everywhere, and identical lines are stored once in the file."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    px_mm = ZH_DPI / 25.4
    font = _zh_font(max(8, round(size * px_mm)))
    ascent, descent = font.getmetrics()
    w = int(font.getlength(text)) + 2
    img = Image.new("L", (w, ascent + descent), 255)
    ImageDraw.Draw(img).text((1, 0), text, font=font, fill=grey)
    w_mm, h_mm = img.width / px_mm, img.height / px_mm
    c.drawImage(ImageReader(img), (cx - w_mm / 2) * MM, (base - descent / px_mm) * MM, w_mm * MM, h_mm * MM)


def _draw_card(c, box: CardBox, number: int, session: str) -> None:
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
    # bottom up: footer, instruction, then the number, as large as the space left under the code allows;
    # sizes scale with that space so that 6 or 8 cards a page do not overlap their lines
    below = box.h - side  # mm under the QR area
    cx = box.x + box.w / 2
    zh_mm = min(3.2, below * 0.11, box.w * 0.92 / max(1.0, _zh_font(100).getlength(INSTRUCTION) / 100))
    foot_mm = min(zh_mm * 0.75, 2.4)
    foot_base = max(below * 0.05, 1.0)
    zh_base = max(below * 0.14, foot_base + foot_mm + 0.3 * zh_mm)
    base = max(below * 0.30, zh_base + zh_mm + 1.0)
    digits = str(number)
    cap = min(below * 0.55, below * 0.95 - base)  # Helvetica-Bold: caps 0.72 em, digits 0.556 em
    size_pt = min(cap / 0.72, box.w * 0.9 / (0.556 * len(digits))) * MM
    c.setFont("Helvetica-Bold", size_pt)
    c.drawCentredString(cx * MM, (box.y + base) * MM, digits)
    # one line of instructions, and what the card is
    _draw_zh_line(c, INSTRUCTION, cx, box.y + zh_base, zh_mm)
    foot = f"{FOOTER}{'  ·  场次 ' + session if session else ''}"
    _draw_zh_line(c, foot, cx, box.y + foot_base, foot_mm, grey=89)


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
    boxes = card_boxes(per_page)
    for k, number in enumerate(numbers):
        box = boxes[k % per_page]
        _draw_card(c, box, number, label)
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
