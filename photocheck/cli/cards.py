"""``photocheck cards``: print numbered shot-number cards (slates) as an A4 PDF (the API: :mod:`photocheck.cards`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..cards import CardError, parse_range, write_cards
from ..cards.pdf import LAYOUTS
from . import exits, options
from .output import say


@click.command("cards")
@click.argument("numbers", metavar="[RANGE]", required=False)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The PDF to write (e.g. cards.pdf).")
@click.option("--from", "first", type=int, help="First shot number (instead of RANGE).")
@click.option("--to", "last", type=int, help="Last shot number (instead of RANGE).")
@click.option("--session", default="", help="Label of this shoot, printed in every card's code (letters, digits, - and ., "
                                            "at most 10): a card of another session is then recognised as such.")
@click.option("--per-page", type=click.Choice([str(k) for k in LAYOUTS]), default="4", show_default=True,
              help="Cards per A4 page (4: 91×134 mm cards, the size the reader was measured with).")
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@options.lang()
def cards_cmd(numbers, out, first, last, session, per_page, force, lang):
    """Write a printable A4 PDF of shot-number cards, one per shot number in RANGE
    (``1-300``, ``7``, ``1-20,25``; or --from/--to).

    Each card has a QR code saying which shot number it is (and the session label), the number in
    large digits, cut marks and one line of instructions. Hand a card out with the shot number at
    registration; photograph the student holding it, then the student without it: `photocheck
    batch` gives the frames after a card to that shot number.

    Exit code: 0 written, 2 bad range, label or output path.
    """
    try:
        shot_numbers = parse_range(numbers, first, last)
        pages = write_cards(shot_numbers, out, session=session, per_page=int(per_page), force=force)
    except CardError as e:
        click.secho(say(lang, e.zh, e.en), fg="red", err=True)
        sys.exit(exits.USAGE)
    except FileExistsError:
        click.secho(say(lang, f"{out}: 文件已存在，不会覆盖。请换一个文件名，或加 --force 覆盖。",
                        f"{out}: file exists; not overwriting it. Choose another --out or add --force."), fg="red", err=True)
        sys.exit(exits.USAGE)
    except OSError as e:
        click.secho(say(lang, f"{out}: 无法写入（{e.strerror or e}）。", f"{out}: cannot write it ({e.strerror or e})."),
                    fg="red", err=True)
        sys.exit(exits.USAGE)
    n = len(shot_numbers)
    click.echo(say(lang, f"已写入 {Path(out)}：{n} 张拍摄号卡（{shot_numbers[0]}–{shot_numbers[-1]}），{pages} 页，请用 A4 纸按 100% 比例打印。",
                   f"wrote {Path(out)}: {n} cards ({shot_numbers[0]}–{shot_numbers[-1]}), {pages} pages; print on A4 at 100 % (actual size)."))
