"""The ``photocheck`` command: one module per sub-command, registered here.

Shared options (``--lang``, ``--spec``, ``--background``, references, ``--experimental``,
``--json``…) are declared once in :mod:`photocheck.cli.options`, exit codes in
:mod:`photocheck.cli.exits`. Adding a command: write ``cli/NAME.py`` with a click command
``NAME_cmd`` and register it below with one line.
"""

from __future__ import annotations

import click

from .. import __version__
from ..heap import keep_freed_memory
from .batch import batch_cmd
from .cards import cards_cmd
from .check import check_cmd
from .fix import fix_cmd
from .rules import rules_cmd
from .serve import serve_cmd
from .watch import watch_cmd


@click.group()
@click.version_option(__version__, prog_name="photocheck")
def main() -> None:
    """Check graduation photos against the CHSI (学信网) photo rules, offline."""
    # Our own process: let it reuse the photos' freed memory (a library caller's process is left alone).
    keep_freed_memory()


main.add_command(check_cmd)
main.add_command(rules_cmd)
main.add_command(fix_cmd)
main.add_command(batch_cmd)
main.add_command(serve_cmd)
main.add_command(cards_cmd)
main.add_command(watch_cmd)
