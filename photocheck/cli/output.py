"""The text report of a photo on the terminal, shared by ``check`` and ``fix``."""

from __future__ import annotations

from typing import Any

import click

from ..report import Report

_ICON = {"pass": "✓", "warn": "!", "fail": "✗", "skip": "-", "error": "✗"}
_COLOR = {"pass": "green", "warn": "yellow", "fail": "red", "skip": None, "error": "red"}


def value_text(v: Any) -> str:
    """A finding's value for the terminal: ``—`` for none, ``k=v`` pairs for composite values."""
    if v is None:
        return "—"
    if isinstance(v, dict):
        return ", ".join(f"{k}={value_text(x)}" for k, x in v.items())
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def print_report(report: Report, lang: str, verbose: bool = True) -> None:
    """The verdict line, then one line per finding with its message (skipped rules only if ``verbose``)."""
    ok_word = ("合格", "OK") if report.ok else ("不合格", "NOT OK")
    head = ok_word[0] if lang == "zh" else ok_word[1]
    click.secho(f"{report.file}: {head}", bold=True, fg="green" if report.ok else "red")
    for f in report.in_lang(lang).findings:  # worded here, in the command's language
        if f.status == "skip" and not verbose:
            continue
        line = f"  {_ICON[f.status]} {f.rule:<30} {f.status:<5} {value_text(f.value):<28} [{f.limit_text or '—'}]"
        click.secho(line, fg=_COLOR[f.status])
        if f.message and f.status != "pass":
            click.echo(f"      → {f.message}")


def say(lang: str, zh: str, en: str) -> str:
    """The message in the command's language."""
    return zh if lang == "zh" else en
