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

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .analysis import Analysis, analyse
from .check import error_report, report_for
from .errors import PhotoError
from .io import Source, load
from .references import Reference, load_references
from .report import Finding, Report
from .spec import Spec, load_spec

#: Upload-profile rules that re-encoding alone repairs (a 480×640 input is re-saved, not re-cropped).
REENCODABLE = frozenset({"file.format", "file.size", "file.jpeg_quality", "image.dpi"})


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


def _load_refs(references: Sequence[Source], names: Sequence[str] = ()) -> tuple[list[Reference], list[PhotoError]]:
    """Analyse the reference photos once (shared by the input's and the output's check).

    Returns the usable references and the errors of the unusable ones: a reference that cannot be
    read or shows no face is the reference's problem, not the photo's, so it does not block the fix.
    """
    if not references:
        return [], []
    loaded = load_references(list(references), names=names)  # bytes named by their uploaded file
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
    (enrollment photo) for the authenticity rules; a reference that cannot
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

    references, ref_errors = _load_refs(references, reference_names)
    a = analyse(image, original_spec, references=references)
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
    references, ref_errors = _load_refs(references, reference_names)
    a = analyse(image, spec, references=references)
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
    out = analyse(data, spec, models=result.source_analysis.models, name=out_name, references=references)
    result.output_analysis = out
    result.report = report_for(out, spec, lang)
    result.forced = force and bool(result.blocking or not result.report.ok)
    # The output must pass on its own; a file that would be rejected is only written with force.
    result.data = data if (result.report.ok or force) else None


# ---------------------------------------------------------------------------------------------
# writing the result (the `photocheck fix` command is photocheck/cli/fix.py)


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
