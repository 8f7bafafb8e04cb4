"""Shot-number cards (slates): print numbered QR cards, read them back from camera frames.

* :mod:`.payload` — the QR text format (``PHOTOCHECK:SHOT:1:<SESSION>:<NUMBER>``) and shot ranges;
* :mod:`.pdf` — the printable A4 sheets (``photocheck cards``);
* :mod:`.reader` — finding and decoding a card (or a phone's QR code) in a camera frame.

>>> from photocheck.cards import card_text, parse_card_text
>>> parse_card_text(card_text(7, "s1")).shot_no
'7'
"""

from __future__ import annotations

from .payload import CardError, CardText, card_text, parse_card_text, parse_range
from .pdf import cards_pdf, write_cards

__all__ = ["CardError", "CardText", "card_text", "cards_pdf", "parse_card_text", "parse_range", "write_cards"]
