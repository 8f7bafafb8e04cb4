"""The ``photocheck`` command: check, rules, and the sub-commands of the other modules."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from . import __version__
from .io import PHOTO_EXTENSIONS

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
_ICON = {"pass": "✓", "warn": "!", "fail": "✗", "skip": "-", "error": "✗"}
_COLOR = {"pass": "green", "warn": "yellow", "fail": "red", "skip": None, "error": "red"}


class _Group(click.Group):
    """Turns click usage errors into exit code 2 (click's own default) and keeps tracebacks away."""


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="photocheck")
def main() -> None:
    """Check graduation photos against the CHSI (学信网) photo rules, offline."""


def _value_text(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_value_text(x)}" for k, x in v.items())
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def print_report(report, lang: str, verbose: bool = True) -> None:
    ok_word = ("合格", "OK") if report.ok else ("不合格", "NOT OK")
    head = ok_word[0] if lang == "zh" else ok_word[1]
    click.secho(f"{report.file}: {head}", bold=True, fg="green" if report.ok else "red")
    for f in report.findings:
        if f.status == "skip" and not verbose:
            continue
        line = f"  {_ICON[f.status]} {f.rule:<30} {f.status:<5} {_value_text(f.value):<28} [{f.limit or '—'}]"
        click.secho(line, fg=_COLOR[f.status])
        if f.message and f.status != "pass":
            click.echo(f"      → {f.message}")


def _expand(paths: tuple[str, ...]) -> list[str]:
    out = []
    for p in paths:
        if os.path.isdir(p) and not p.lower().endswith((".jpg", ".jpeg")):
            # not only regular files: a broken link, link loop or pipe named like a photo is reported
            out.extend(sorted(str(q) for q in Path(p).rglob("*") if not q.is_dir() and q.suffix.lower() in
                              PHOTO_EXTENSIONS))
        else:
            out.append(p)
    return out


@main.command()
@click.argument("photos", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per photo.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Message language.")
@click.option("--profile", type=click.Choice(["upload", "original"]), default="upload", show_default=True,
              help="upload: the final 480×640 file; original: a camera original (is a compliant crop possible?).")
@click.option("--spec", "spec_path", type=click.Path(dir_okay=False), help="TOML file overriding limits.")
@click.option("--background", type=click.Choice(["blue", "white", "grey"]), default=None, help="Required background colour.")
@click.option("--annotate", "annotate_dir", type=click.Path(file_okay=False), help="Write annotated PNGs here.")
@click.option("--reference", "references", multiple=True, type=click.Path(), help="Reference photo (enrollment/earlier diploma photo); repeatable.")
@click.option("--references", "ref_dir", type=click.Path(file_okay=False), help="Folder of references named by the checked photo's stem.")
@click.option("--quiet", "-q", is_flag=True, help="Hide skipped rules.")
@click.option("--experimental", is_flag=True,
              help="Also run the experimental rules (too many false alarms on real photos to be on by default).")
def check(photos, as_json, lang, profile, spec_path, background, annotate_dir, references, ref_dir, quiet,
          experimental):
    """Check PHOTOS (files or folders) and print a verdict per photo.

    Exit code: 0 all photos ok, 1 some photo fails, 2 usage error or unreadable input.
    """
    from .check import analyse_and_check, error_report
    from .errors import PhotoError
    from .spec import load_spec

    bg = {"blue": (100, 197, 255), "white": (255, 255, 255), "grey": (240, 240, 240)}.get(background or "")
    try:
        spec = load_spec(profile, spec_path, background_rgb=bg, experimental=experimental)
    except (OSError, ValueError) as e:
        raise click.UsageError(f"cannot read spec {spec_path}: {e}")
    files = _expand(photos)
    results, unreadable, failed = [], False, False
    ref_index: dict[str, list[str]] = {}  # --references DIR: reference files by stem (student id)
    if ref_dir and os.path.isdir(ref_dir):
        for q in sorted(Path(ref_dir).iterdir()):
            if q.is_file() and q.suffix.lower() in PHOTO_EXTENSIONS:
                ref_index.setdefault(q.stem, []).append(str(q))
    for path in files:
        refs = list(references)
        if ref_dir:
            stem = Path(path).stem
            # no reference for this student: the reference rules say which file was missing
            refs += ref_index.get(stem) or [str(Path(ref_dir) / f"{stem}.jpg")]
        try:
            a, rep = analyse_and_check(path, spec, references=refs, lang=lang)
        except Exception as e:  # a bug must not stop the other photos: report it against this one
            msg = f"{type(e).__name__}: {e}"
            a, rep = None, error_report(PhotoError(path, "internal", f"内部错误，无法检查：{msg}",
                                                   f"internal error, cannot check: {msg}"), lang, spec.profile)
        unreadable |= rep.status("file.read") == "error"
        if a is not None and annotate_dir:
            _write_annotation(a, rep, annotate_dir)
        failed |= not rep.ok
        if as_json:
            results.append(rep.to_dict())
        else:
            print_report(rep, lang, verbose=not quiet)
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))
    sys.exit(EXIT_USAGE if unreadable else EXIT_FAIL if failed else EXIT_OK)


def _write_annotation(a, rep, out_dir: str) -> None:
    import cv2

    from .annotate import annotate

    os.makedirs(out_dir, exist_ok=True)
    stem = Path(a.name).stem or "photo"
    target = Path(out_dir) / f"{stem}.annotated.png"
    n = 1
    while target.exists():  # never overwrite: a second photo with the same stem gets a suffix
        target = Path(out_dir) / f"{stem}.annotated-{n}.png"
        n += 1
    cv2.imwrite(str(target), annotate(a, rep)[:, :, ::-1])


def _default_state(spec, rule_id: str) -> str:
    return "experimental" if spec.is_experimental(rule_id) else "on"


def rules_markdown(lang: str = "en") -> str:
    """The rules table of docs/rules.md: every rule with its limit in both profiles."""
    from .rules import all_rules
    from .spec import PROFILES, load_spec

    specs = [load_spec(p) for p in PROFILES]
    out = ["| rule | what | default | " + " | ".join(f"limit ({p})" for p in PROFILES) + " |",
           "|---|---|---|" + "---|" * len(PROFILES)]
    for r in all_rules():
        cells = [s.limit(r.id).describe() if s.is_enabled(r.id) and s.profile in r.profiles else "(off)" for s in specs]
        out.append(f"| `{r.id}` | {r.name(lang)} | {_default_state(specs[0], r.id)} | "
                   + " | ".join(c or "—" for c in cells) + " |")
    return "\n".join(out) + "\n"


@main.command("rules")
@click.option("--profile", type=click.Choice(["upload", "original"]), default="upload", show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--markdown", is_flag=True, help="Print the Markdown table of docs/rules.md (both profiles).")
def rules_cmd(profile, lang, markdown):
    """List every rule id with its limit in the active profile."""
    from .rules import all_rules
    from .spec import load_spec

    if markdown:
        click.echo(rules_markdown(lang), nl=False)
        return
    spec = load_spec(profile)
    for r in all_rules():
        lim = spec.limit(r.id).describe() if spec.is_enabled(r.id) and profile in r.profiles else "(off)"
        trial = (" [实验性，默认关闭]" if lang == "zh" else " [experimental, off by default]") \
            if spec.is_experimental(r.id) else ""
        click.echo(f"{r.id:<32} {lim:<34} {r.name(lang)}{trial}")
    if spec.experimental:
        click.echo("\n实验性规则在真实照片上误报过多，默认不运行；用 check --experimental 开启。" if lang == "zh" else
                   "\nExperimental rules flag too many good real photos to be on by default; "
                   "check --experimental runs them (docs/accuracy.md says why).")


def _register_optional_commands() -> None:
    """Sub-commands living in their own modules (batch, fix, serve, watch) register themselves here."""
    import importlib
    import importlib.util

    for mod, attr in (("photocheck.batch.cli", "batch"), ("photocheck.fix", "fix_cmd"), ("photocheck.web.server", "serve_cmd"),
                      ("photocheck.watch.command", "watch_cmd")):
        if importlib.util.find_spec(mod) is not None:
            main.add_command(getattr(importlib.import_module(mod), attr))


_register_optional_commands()
