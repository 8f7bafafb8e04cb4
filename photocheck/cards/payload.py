"""The text inside a shot-number card's QR code (format version 1) and shot-number ranges.

A card says ``PHOTOCHECK:SHOT:1:<SESSION>:<NUMBER>``:

* ``PHOTOCHECK:SHOT:`` — this is a photocheck shot-number card (nothing else starts so);
* ``1`` — the format version: a reader that meets a higher version says so instead of guessing;
* ``SESSION`` — the shoot's label (0–10 of ``A–Z 0–9 - .``, upper case; may be empty), so that a
  card left over from another session is recognised as such, not read as this session's number;
* ``NUMBER`` — the shot number, 1–99999, no leading zeros.

Every character is in the QR alphanumeric set (upper case, digits, ``:-.``), which packs 5.5 bits a
character: the whole text fits a version-2 symbol (25 × 25 modules) at error correction Q for a
three-digit number and a short label, version 3 at most — big modules on a small card.

>>> card_text(12, "s1")
'PHOTOCHECK:SHOT:1:S1:12'
>>> parse_card_text("PHOTOCHECK:SHOT:1:S1:12")
CardText(shot_no='12', session='S1', version=1)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "PHOTOCHECK:SHOT:"
VERSION = 1
MAX_SHOT_NO = 99999
MAX_CARDS = 2000  # one run; a shoot of more students is printed in several runs
MAX_SESSION = 10
_SESSION_RE = re.compile(rf"[A-Z0-9.\-]{{0,{MAX_SESSION}}}")
_TEXT_RE = re.compile(rf"PHOTOCHECK:SHOT:(\d+):([A-Z0-9.\-]{{0,{MAX_SESSION}}}):([1-9]\d{{0,4}})")


class CardError(ValueError):
    """A bad card request (range, session label): the message says what to change, in both languages."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class CardText:
    shot_no: str  # as printed: "12"
    session: str  # "" when the cards were printed without a label
    version: int


def session_label(label: str | None) -> str:
    """The label as the card carries it (upper case); :class:`CardError` when it cannot be."""
    s = (label or "").strip().upper()
    if not _SESSION_RE.fullmatch(s):
        raise CardError(f"场次标签只能含字母、数字、- 和 .，最多 {MAX_SESSION} 个字符：{label!r}",
                        f"the session label may hold only letters, digits, '-' and '.', at most {MAX_SESSION} characters: {label!r}")
    return s


def card_text(shot_no: int, session: str | None = None) -> str:
    """The QR text of card ``shot_no`` of ``session``."""
    if not 1 <= int(shot_no) <= MAX_SHOT_NO:
        raise CardError(f"拍摄号必须在 1 到 {MAX_SHOT_NO} 之间：{shot_no}", f"a shot number must be 1 to {MAX_SHOT_NO}: {shot_no}")
    return f"{PREFIX}{VERSION}:{session_label(session)}:{int(shot_no)}"


def parse_card_text(text: str) -> CardText | None:
    """The card a QR text is, or None when it is not a photocheck card (any other QR code).
    A card of a later format version is returned with its version (the caller reports it)."""
    t = text.strip()
    if not t.upper().startswith(PREFIX):
        return None
    m = _TEXT_RE.fullmatch(t.upper())
    if m is None:
        v = t[len(PREFIX):].split(":", 1)[0]
        return CardText("", "", int(v)) if v.isdigit() and int(v) > VERSION else None
    return CardText(m.group(3), m.group(2), int(m.group(1)))


def parse_range(spec: str | None, first: int | None = None, last: int | None = None) -> list[int]:
    """Shot numbers from ``"1-300"``, ``"7"`` or ``"1-20,25,30-40"``, or from ``first``/``last``
    (``--from``/``--to``). Raises :class:`CardError` for an empty, reversed, out-of-range or absurdly
    large request (more than 2000 cards at a time).

    >>> parse_range("3-5")
    [3, 4, 5]
    >>> parse_range(None, 8, 9)
    [8, 9]
    """
    parts: list[tuple[int, int]] = []
    if spec is not None and (first is not None or last is not None):
        raise CardError("请只用一种方式给出拍摄号：范围（如 1-300）或 --from/--to。",
                        "give the shot numbers one way: a range (like 1-300) or --from/--to")
    if spec is not None:
        for piece in str(spec).replace("，", ",").replace("–", "-").split(","):
            piece = piece.strip()
            m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", piece)
            if m is None:
                raise CardError(f"无法识别的拍摄号范围：{piece!r}（应为 1-300、7 或 1-20,25）",
                                f"cannot read the shot-number range {piece!r} (expected 1-300, 7 or 1-20,25)")
            a = int(m.group(1))
            parts.append((a, int(m.group(2)) if m.group(2) else a))
    elif first is not None or last is not None:
        if first is None or last is None:
            raise CardError("--from 和 --to 需要一起给出。", "give both --from and --to")
        parts.append((first, last))
    else:
        raise CardError("请给出拍摄号范围，如 1-300。", "give the shot numbers, like 1-300")
    numbers: list[int] = []
    for a, b in parts:
        if a > b:
            raise CardError(f"拍摄号范围颠倒：{a}-{b}", f"the range is reversed: {a}-{b}")
        if a < 1 or b > MAX_SHOT_NO:
            raise CardError(f"拍摄号必须在 1 到 {MAX_SHOT_NO} 之间：{a}-{b}", f"shot numbers must be 1 to {MAX_SHOT_NO}: {a}-{b}")
        if b - a + 1 + len(numbers) > MAX_CARDS:
            raise CardError(f"一次最多打印 {MAX_CARDS} 张卡（要求 {b - a + 1 + len(numbers)} 张）；请分几次打印。",
                            f"at most {MAX_CARDS} cards at a time ({b - a + 1 + len(numbers)} asked); print them in several runs")
        numbers.extend(range(a, b + 1))
    if len(set(numbers)) != len(numbers):
        raise CardError("拍摄号范围有重叠：每个号码只能有一张卡。", "the ranges overlap: each number gets one card")
    return numbers
