"""``photocheck fix``: turn a portrait into the standard 480×640 upload file, or say why it cannot.

Standardisation only: the photo is cropped, scaled and re-encoded (JPEG quality ≥ 60, ≤ 40 KB,
300 dpi, sRGB, no EXIF). Nothing is retouched, the background is never replaced. A problem that
cropping cannot fix (background, lighting, expression, glasses, hair, too little margin above the
head, too little resolution, several faces…) blocks the output unless ``force`` is set.

Flow: analyse the input as a camera original (the ``original`` profile plans the compliant crop and
judges everything cropping cannot change) → cut the crop from the full-resolution file
(:func:`photocheck.export.export_upload`) → check the new file with the full ``upload`` rule set.

>>> from photocheck.fix import fix
>>> result = fix("IMG_1234.HEIC", lang="en")  # doctest: +SKIP
>>> result.ok, len(result.data), result.report.ok  # doctest: +SKIP
(True, 39672, True)
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import click

from .analysis import Analysis, analyse
from .check import error_report, report_for
from .errors import PhotoError
from .io import Source, load
from .report import Finding, Report
from .spec import Spec, load_spec

#: Upload-profile rules that re-encoding alone repairs (a 480×640 input is re-saved, not re-cropped).
REENCODABLE = frozenset({"file.format", "file.size", "file.jpeg_quality", "image.dpi"})

BACKGROUNDS = {"blue": (100, 197, 255), "white": (255, 255, 255), "grey": (240, 240, 240)}


@dataclass
class FixResult:
    """What :func:`fix` did with one photo.

    ``data`` is the 480×640 upload JPEG (``None`` when it was not made: unreadable input, no face,
    or a problem cropping cannot fix without ``force``). ``source_report`` judges the input as a
    camera original (is a compliant crop possible?); ``blocking`` lists its problems that cropping
    cannot fix; ``report`` is the full upload-rule check of ``data``. ``unchanged`` is True when the
    input already was a compliant upload file and ``data`` is its bytes, untouched.
    """

    file: str
    data: bytes | None
    source_report: Report
    blocking: list[Finding] = field(default_factory=list)
    report: Report | None = None
    forced: bool = False
    unchanged: bool = False
    reference_errors: list[PhotoError] = field(default_factory=list)  # references that could not be used
    source_analysis: Analysis | None = field(default=None, repr=False)
    output_analysis: Analysis | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when a file was made, nothing blocked it, and it passes every upload rule."""
        return self.data is not None and not self.blocking and self.report is not None and self.report.ok

    @property
    def unreadable(self) -> bool:
        return self.source_report.status("file.read") == "error"

    def to_dict(self) -> dict:
        return {"file": self.file, "ok": self.ok, "made": self.data is not None, "forced": self.forced,
                "unchanged": self.unchanged, "bytes": len(self.data) if self.data is not None else None,
                "blocking": [f.to_dict() for f in self.blocking], "source": self.source_report.to_dict(),
                "reference_errors": [{"file": e.file, "code": e.code, "message": e.en} for e in self.reference_errors],
                "output": self.report.to_dict() if self.report else None}


def _read(source: Source) -> Source:
    """Bytes for paths (read once: the loader and the exporter share them); arrays stay arrays."""
    if isinstance(source, (str, os.PathLike)):
        from .io import read_bytes

        return read_bytes(source)
    return source


def _load_refs(a: Analysis, references: Sequence[Source], names: Sequence[str] = ()) -> tuple[list, list[PhotoError]]:
    """Analyse the reference photos once (shared by the input's and the output's check).

    Returns the usable references and the errors of the unusable ones: a reference that cannot be
    read or shows no face is the reference's problem, not the photo's, so it does not block the fix.
    """
    if not references:
        return [], []
    try:
        from .references import load_references
    except ImportError:  # the authenticity module is optional: reference rules then stay skipped
        return [], []
    loaded = load_references(list(references), models=a._models, names=names)  # bytes named by their file
    good = [r for r in loaded if not isinstance(r, PhotoError)]
    return good, [r for r in loaded if isinstance(r, PhotoError)]


def fix(source: Source, *, force: bool = False, lang: str = "zh", spec: Spec | None = None,
        original_spec: Spec | None = None, background: tuple[int, int, int] | None = None,
        references: Sequence[Source] = (), name: str | None = None,
        reference_names: Sequence[str] = ()) -> FixResult:
    """Make the standard 480×640 upload file from ``source`` (path, file bytes or RGB array).

    ``spec`` is the ``upload`` profile used to check the output, ``original_spec`` the ``original``
    profile used to plan the crop and judge the input (both default to the shipped limits with
    ``background`` as the required colour). ``references`` are earlier photos of the student
    (enrollment photo) for the authenticity rules, when those are installed; a reference that cannot
    be used is listed in ``reference_errors`` (named by ``reference_names`` when given as bytes) and
    does not block the fix.

    Never raises for a bad photo: an unreadable file gives ``data=None`` and a ``file.read`` error
    in ``source_report``.
    """
    spec = spec or load_spec("upload", background_rgb=background)
    original_spec = original_spec or load_spec("original", background_rgb=background or spec.background_rgb)
    label = name or (os.fspath(source) if isinstance(source, (str, os.PathLike)) else "<upload>")
    try:
        raw = _read(source)
        image = load(raw, name=label)
    except PhotoError as e:
        return FixResult(label, None, error_report(e, lang, "original"))

    if (image.width, image.height) == spec.frame_size:
        return _fix_sized(raw, image, force, lang, spec, references, label, reference_names)

    a = analyse(image, original_spec)
    references, ref_errors = _load_refs(a, references, reference_names)
    if references:
        a.references = references
    src_report = report_for(a, original_spec, lang)
    blocking = src_report.failed
    result = FixResult(label, None, src_report, blocking, source_analysis=a, reference_errors=ref_errors)
    if a.face is None or (blocking and not force):
        return result
    from .export import export_upload

    data = export_upload(raw, a)
    _check_output(result, data, spec, references, lang, force)
    return result


def _fix_sized(raw: Source, image, force: bool, lang: str, spec: Spec, references, label: str,
               reference_names: Sequence[str] = ()) -> FixResult:
    """A 480×640 input: judged as an upload file; only re-encoding is possible (cropping would upscale)."""
    a = analyse(image, spec)
    references, ref_errors = _load_refs(a, references, reference_names)
    if references:
        a.references = references
    rep = report_for(a, spec, lang)
    blocking = [f for f in rep.failed if f.rule not in REENCODABLE]
    result = FixResult(label, None, rep, blocking, source_analysis=a, reference_errors=ref_errors)
    if rep.ok and isinstance(raw, (bytes, bytearray)):
        result.data, result.report, result.unchanged, result.output_analysis = bytes(raw), rep, True, a
        return result
    if a.face is None or (blocking and not force):
        return result
    from .export import export_upload

    _check_output(result, export_upload(raw, a), spec, references, lang, force)
    return result


def _check_output(result: FixResult, data: bytes, spec: Spec, references, lang: str, force: bool) -> None:
    out_name = Path(result.file).stem + "_480x640.jpg" if result.file != "<upload>" else "<output>"
    out = analyse(data, spec, models=result.source_analysis._models, name=out_name)
    if references:
        out.references = references
    result.output_analysis = out
    result.report = report_for(out, spec, lang)
    result.forced = force and bool(result.blocking or not result.report.ok)
    # The output must pass on its own; a file that would be rejected is only written with force.
    result.data = data if (result.report.ok or force) else None


# ---------------------------------------------------------------------------------------------
# command line


def default_output(path: str | os.PathLike) -> Path:
    """``<stem>_480x640.jpg`` next to the input; ``<stem>_480x640-1.jpg``, ``-2`` … if taken."""
    p = Path(path)
    target = p.with_name(f"{p.stem}_480x640.jpg")
    n = 1
    while target.exists() or target.resolve() == p.resolve():
        target = p.with_name(f"{p.stem}_480x640-{n}.jpg")
        n += 1
    return target


def write_output(target: Path, data: bytes, *, overwrite: bool = False) -> None:
    """Write ``data`` to ``target`` whole or not at all; without ``overwrite`` an existing file
    (even one created a moment ago by something else) raises FileExistsError and is left alone."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        tmp.write_bytes(data)
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # atomic, and fails if target exists
            except FileExistsError:
                raise
            except OSError:  # no hard links here (FAT USB stick…): exclusive create instead
                with open(target, "xb") as fh:
                    fh.write(data)
    finally:
        tmp.unlink(missing_ok=True)


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


@click.command("fix")
@click.argument("src", metavar="IN", type=click.Path(dir_okay=False))
@click.argument("out", metavar="[OUT]", required=False, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True,
              help="Write the file even when the photo has problems cropping cannot fix, and overwrite OUT.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Message language.")
@click.option("--background", type=click.Choice(sorted(BACKGROUNDS)), default=None,
              help="Required background colour (default: the spec's, light blue).")
@click.option("--spec", "spec_path", type=click.Path(dir_okay=False), help="TOML file overriding limits.")
@click.option("--reference", "references", multiple=True, type=click.Path(dir_okay=False),
              help="Earlier photo (enrollment photo) to check the new one is not a re-used photo; repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (input verdict, problems, output check, written path).")
@click.option("--quiet", "-q", is_flag=True, help="Hide skipped rules in the final check.")
def fix_cmd(src, out, force, lang, background, spec_path, references, as_json, quiet):
    """Make the 480×640 upload file from the portrait IN and check it.

    Crops and scales to the framing rules (head top, eye line, face width, centred) and saves a
    JPEG of quality ≥ 60, at most 40 KB, 300 dpi, sRGB, without EXIF. It does not retouch the face
    or change the background: when the photo breaks a rule that cropping cannot fix, it says so and
    writes nothing (unless --force).

    OUT defaults to IN's name with "_480x640.jpg" next to it ("-1", "-2" … added if that file
    exists). An existing OUT is never overwritten without --force.

    Exit code: 0 file written and it passes, 1 photo not usable (or written with --force but
    failing), 2 usage error or unreadable input.
    """
    from .cli import EXIT_FAIL, EXIT_OK, EXIT_USAGE, print_report

    bg = BACKGROUNDS.get(background or "")
    try:
        spec = load_spec("upload", spec_path, background_rgb=bg)
        original_spec = load_spec("original", spec_path, background_rgb=bg)
    except (OSError, ValueError) as e:
        raise click.UsageError(f"cannot read spec {spec_path}: {e}")
    for ref in references:  # a bad reference is a usage error, not a problem of the photo
        try:
            load(ref)
        except PhotoError as e:
            click.secho(_t(lang, f"参考照片 {ref}：{e.zh}", f"reference photo {ref}: {e.en}"), fg="red", err=True)
            sys.exit(EXIT_USAGE)
    target = Path(out) if out else default_output(src)
    if target.exists() and not force:
        click.secho(_t(lang, f"{target}: 文件已存在，不会覆盖。请换一个输出文件名，或加 --force 覆盖。",
                       f"{target}: file exists; not overwriting it. Choose another OUT or add --force."), fg="red", err=True)
        sys.exit(EXIT_USAGE)
    if os.path.exists(src) and target.exists() and target.resolve() == Path(src).resolve():
        click.secho(_t(lang, f"{target}: 输出文件不能与输入文件相同。", f"{target}: OUT must not be the input file."),
                    fg="red", err=True)
        sys.exit(EXIT_USAGE)

    result = fix(src, force=force, lang=lang, spec=spec, original_spec=original_spec, references=references)
    human = not as_json

    def finish(code: int, written: Path | None = None) -> None:
        if as_json:
            click.echo(json.dumps({**result.to_dict(), "written": str(written) if written else None},
                                  ensure_ascii=False, indent=2))
        sys.exit(code)

    if result.unreadable:
        if human:
            print_report(result.source_report, lang)
        finish(EXIT_USAGE)
    a = result.source_analysis
    if a is not None and a.face is None:
        if human:
            click.secho(_t(lang, f"{src}: 没有检测到人脸，无法裁剪。请使用正面、清晰的单人照片。",
                           f"{src}: no face found, so it cannot be cropped. Use a clear, frontal photo of one person."), fg="red")
        finish(EXIT_FAIL)
    for e in result.reference_errors if human else ():
        click.secho(_t(lang, f"! {e.zh}（未与它比对）", f"! {e.en} (not compared with it)"), fg="yellow")
    if result.blocking and human:
        click.secho(_t(lang, f"{src}: 这张照片有裁剪无法解决的问题（需要重拍或换一张照片）：",
                       f"{src}: this photo has problems that cropping cannot fix (retake it or use another photo):"),
                    fg="red", bold=True)
        for f in result.blocking:
            click.secho(f"  ✗ {f.title or f.rule} [{f.rule}]", fg="red")
            if f.message:
                click.echo(f"      → {f.message}")
    if result.blocking and not force:
        if human:
            click.echo(_t(lang, "未写入任何文件。若仍要生成（例如只想看裁剪效果），请加 --force。",
                          "Nothing written. Add --force to write the file anyway (e.g. to see the crop)."))
        finish(EXIT_FAIL)
    if result.report is not None and human:
        click.echo(_t(lang, "生成文件的检查结果（完整规则）：", "Check of the new file (all rules):"))
        print_report(result.report, lang, verbose=not quiet)
    if result.data is None:
        if human:
            click.secho(_t(lang, "生成的文件仍不合格，未写入。加 --force 可强制写入。",
                           "The new file would still fail; nothing written. Add --force to write it anyway."), fg="red")
        finish(EXIT_FAIL)
    try:
        write_output(target, result.data, overwrite=force)
    except FileExistsError:  # appeared while we worked
        click.secho(_t(lang, f"{target}: 文件已存在，不会覆盖。", f"{target}: file exists; not overwriting it."), fg="red", err=True)
        finish(EXIT_USAGE)
    except OSError as e:
        click.secho(_t(lang, f"{target}: 无法写入：{e}", f"{target}: cannot write: {e}"), fg="red", err=True)
        finish(EXIT_USAGE)
    ok = result.ok
    if human:
        note = _t(lang, "（原文件已合格，原样复制）", " (the input already complied; copied unchanged)") if result.unchanged else ""
        click.secho(_t(lang, f"已写入 {target}（{len(result.data) // 1024} KB）{note}：" + ("可以上传。" if ok else "仍不合格，请看上面的问题。"),
                       f"wrote {target} ({len(result.data) // 1024} KB){note}: " + ("ready to upload." if ok else "still fails; see the problems above.")),
                    fg="green" if ok else "red", bold=True)
    finish(EXIT_OK if ok else EXIT_FAIL, target)
