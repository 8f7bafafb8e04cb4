"""Options shared by the commands, declared once (model: pip's ``cli/cmdoptions.py``).

Each shared option is a factory: ``@options.lang()`` adds ``--lang`` as every command has it; keyword
arguments change one attribute for one command (``@options.lang(help="Report language.")``) while
the name, type and default stay the same everywhere.

>>> import click
>>> from photocheck.cli import options
>>> @click.command()
... @options.lang()
... @options.spec()
... def hello(lang, spec_path):
...     click.echo(f"{lang} {spec_path}")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..spec import PROFILES, Spec, SpecError, load_spec

F = TypeVar("F", bound=Callable[..., Any])

LANGS = ("zh", "en")

#: Required background colours by name (sRGB). Blue first: it is the shipped limits' default.
BACKGROUNDS: dict[str, tuple[int, int, int]] = {"blue": (100, 197, 255), "white": (255, 255, 255),
                                                 "grey": (240, 240, 240)}


def _option(*decls: str, **attrs: Any) -> Callable[..., Callable[[F], F]]:
    """A factory of ``click.option(*decls, **attrs)`` whose attributes a command may override."""

    def make(**overrides: Any) -> Callable[[F], F]:
        return click.option(*decls, **{**attrs, **overrides})

    return make


lang = _option("--lang", type=click.Choice(LANGS), default="zh", show_default=True, help="Message language.")

profile = _option("--profile", type=click.Choice(PROFILES), default="upload", show_default=True,
                  help="upload: the final 480×640 file; original: a camera original (is a compliant crop possible?).")

spec = _option("--spec", "spec_path", type=click.Path(dir_okay=False), help="TOML file overriding limits.")

background = _option("--background", type=click.Choice(list(BACKGROUNDS)), default=None,
                     help="Required background colour (default: the spec's, light blue).")

reference = _option("--reference", "references", multiple=True, type=click.Path(dir_okay=False),
                    help="Reference photo of the student (enrollment or earlier diploma photo) for the "
                         "authenticity rules; repeatable.")

references_dir = _option("--references", "ref_dir", type=click.Path(file_okay=False),
                         help="Folder of reference photos named by student id (the checked photo's file stem).")

experimental = _option("--experimental", is_flag=True,
                       help="Also run the experimental rules (too many false alarms on real photos to be on by default).")

json = _option("--json", "as_json", is_flag=True, help="Print JSON instead of the text report.")

quiet = _option("--quiet", "-q", is_flag=True, help="Hide skipped rules.")

# -- the options `batch` and `watch` share (same meanings and defaults) ---------------------------------
def shots_dir() -> Callable[[F], F]:
    """SHOTS_DIR: the folder of camera files (only ever read)."""
    return click.argument("shots_dir", type=click.Path(file_okay=False))


log = _option("--log", "log", required=True, type=click.Path(dir_okay=False),
              help="Shot-number log: CSV (UTF-8/GBK), XLSX or XLS with shot_no/拍摄号 and student_id/学号 or name/姓名.")

roster = _option("--roster", type=click.Path(dir_okay=False),
                 help="Registration form (XLS/XLSX/CSV with 学号 and 姓名) joined to the log by student number or name.")

out_dir = _option("--out", "out_dir", default="photocheck-out", show_default=True, type=click.Path(file_okay=False),
                  help="Output folder (upload/, review/, report.json/.csv/.html).")

name_template = _option("--name-template", default="{student_id}.jpg", show_default=True,
                        help="Upload file name: {student_id} {name} {shot_no} {code}.")

settings = _option("--settings", "settings_path", type=click.Path(dir_okay=False),
                   help="TOML file overriding photocheck/batch/settings.toml (identity/time thresholds, …).")

trust_order = _option("--trust-order", is_flag=True,
                      help="Export photos matched by shooting order only (no references, log times or shot-number "
                           "cards) to upload/ instead of review/. Only for a shoot you have checked; the report says so.")


def load_spec_or_usage(profile: str, spec_path: str | None, background: str | None = None, *,
                       experimental: bool = False) -> Spec:
    """The limits for ``profile`` with the ``--spec`` file and ``--background`` applied; a spec that
    cannot be read or is invalid is a usage error (exit 2) naming the file, not a traceback."""
    try:
        return load_spec(profile, spec_path, background_rgb=BACKGROUNDS.get(background or ""),
                         experimental=experimental)
    except SpecError as e:  # names the file, the table and the key already
        raise click.UsageError(f"invalid limits file {e}") from None
    except (OSError, ValueError) as e:
        raise click.UsageError(f"cannot read spec {spec_path}: {e}") from None
