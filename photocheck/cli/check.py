"""``photocheck check``: a verdict per photo, as text or JSON."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
import cv2

from ..annotate import annotate
from ..check import analyse_and_check, error_report
from ..errors import PhotoError
from ..io import PHOTO_EXTENSIONS
from . import exits, options
from .output import print_report


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


@click.command("check")
@click.argument("photos", nargs=-1, required=True)
@options.json(help="Print a JSON array, one object per photo.")
@options.lang()
@options.profile()
@options.spec()
@options.background(help="Required background colour.")
@click.option("--annotate", "annotate_dir", type=click.Path(file_okay=False), help="Write annotated PNGs here.")
# a folder given as --reference is not refused here: the reference rules report it against the photo
@options.reference(type=click.Path())
@options.references_dir()
@options.quiet()
@options.experimental()
def check_cmd(photos, as_json, lang, profile, spec_path, background, annotate_dir, references, ref_dir, quiet,
          experimental):
    """Check PHOTOS (files or folders) and print a verdict per photo.

    Exit code: 0 all photos ok, 1 some photo fails, 2 usage error or unreadable input.
    """
    spec = options.load_spec_or_usage(profile, spec_path, background, experimental=experimental)
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
        drawn = _write_annotation(a, rep, annotate_dir, lang) if a is not None and annotate_dir else None
        failed |= not rep.ok
        if as_json:
            results.append(rep.to_dict())
        else:
            print_report(rep, lang, verbose=not quiet)
        if drawn:  # on stderr with --json, which keeps stdout one JSON document
            click.echo(f"  标注图 / annotated: {drawn}" if lang == "zh" else f"  annotated: {drawn}", err=as_json)
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))
    sys.exit(exits.USAGE if unreadable else exits.FAIL if failed else exits.OK)


def _write_annotation(a, rep, out_dir: str, lang: str = "zh") -> Path:
    """Write the annotated PNG into ``out_dir`` (labels in ``lang``); its path."""
    os.makedirs(out_dir, exist_ok=True)
    stem = Path(a.name).stem or "photo"
    png = cv2.imencode(".png", annotate(a, rep, lang=lang)[:, :, ::-1])[1].tobytes()
    n = 0
    while True:  # never overwrite: a second photo with the same stem gets a suffix
        target = Path(out_dir) / (f"{stem}.annotated.png" if n == 0 else f"{stem}.annotated-{n}.png")
        try:
            with open(target, "xb") as fh:  # exclusive create; also non-ASCII paths on Windows (cv2.imwrite fails there)
                fh.write(png)
            return target
        except FileExistsError:
            n += 1
