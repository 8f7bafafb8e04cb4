"""``photocheck fix``: make the 480×640 upload file from a portrait (the API: :mod:`photocheck.fix`)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ..errors import PhotoError
from ..fix import default_output, fix, write_output
from ..io import load
from . import exits, options
from .output import print_report, say


@click.command("fix")
@click.argument("src", metavar="IN", type=click.Path(dir_okay=False))
@click.argument("out", metavar="[OUT]", required=False, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True,
              help="Write the file even when the photo has problems cropping cannot fix, and overwrite OUT.")
@options.lang()
@options.background()
@options.spec()
@options.reference()
@options.json(help="Print the result as JSON (input verdict, problems, output check, written path).")
@options.quiet(help="Hide skipped rules in the final check.")
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
    spec = options.load_spec_or_usage("upload", spec_path, background)
    original_spec = options.load_spec_or_usage("original", spec_path, background)
    for ref in references:  # a bad reference is a usage error, not a problem of the photo
        try:
            load(ref)
        except PhotoError as e:
            click.secho(say(lang, f"参考照片 {ref}：{e.zh}", f"reference photo {ref}: {e.en}"), fg="red", err=True)
            sys.exit(exits.USAGE)
    target = Path(out) if out else default_output(src)
    if target.exists() and not force:
        click.secho(say(lang, f"{target}: 文件已存在，不会覆盖。请换一个输出文件名，或加 --force 覆盖。",
                        f"{target}: file exists; not overwriting it. Choose another OUT or add --force."), fg="red", err=True)
        sys.exit(exits.USAGE)
    if os.path.exists(src) and target.exists() and target.resolve() == Path(src).resolve():
        click.secho(say(lang, f"{target}: 输出文件不能与输入文件相同。", f"{target}: OUT must not be the input file."),
                    fg="red", err=True)
        sys.exit(exits.USAGE)

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
        finish(exits.USAGE)
    a = result.source_analysis
    if a is not None and a.face is None:
        if human:
            click.secho(say(lang, f"{src}: 没有检测到人脸，无法裁剪。请使用正面、清晰的单人照片。",
                            f"{src}: no face found, so it cannot be cropped. Use a clear, frontal photo of one person."), fg="red")
        finish(exits.FAIL)
    for err in result.reference_errors if human else ():
        click.secho(say(lang, f"! {err.zh}（未与它比对）", f"! {err.en} (not compared with it)"), fg="yellow")
    if result.blocking and human:
        click.secho(say(lang, f"{src}: 这张照片有裁剪无法解决的问题（需要重拍或换一张照片）：",
                        f"{src}: this photo has problems that cropping cannot fix (retake it or use another photo):"),
                    fg="red", bold=True)
        for f in result.blocking:
            click.secho(f"  ✗ {f.title or f.rule} [{f.rule}]", fg="red")
            if f.message:
                click.echo(f"      → {f.message}")
    if result.blocking and not force:
        if human:
            click.echo(say(lang, "未写入任何文件。若仍要生成（例如只想看裁剪效果），请加 --force。",
                           "Nothing written. Add --force to write the file anyway (e.g. to see the crop)."))
        finish(exits.FAIL)
    if result.report is not None and human:
        click.echo(say(lang, "生成文件的检查结果（完整规则）：", "Check of the new file (all rules):"))
        print_report(result.report, lang, verbose=not quiet)
    if result.data is None:
        if human:
            click.secho(say(lang, "生成的文件仍不合格，未写入。加 --force 可强制写入。",
                            "The new file would still fail; nothing written. Add --force to write it anyway."), fg="red")
        finish(exits.FAIL)
    try:
        write_output(target, result.data, overwrite=force)
    except FileExistsError:  # appeared while we worked
        click.secho(say(lang, f"{target}: 文件已存在，不会覆盖。", f"{target}: file exists; not overwriting it."), fg="red", err=True)
        finish(exits.USAGE)
    except OSError as e:
        click.secho(say(lang, f"{target}: 无法写入：{e}", f"{target}: cannot write: {e}"), fg="red", err=True)
        finish(exits.USAGE)
    ok = result.ok
    if human:
        note = say(lang, "（原文件已合格，原样复制）", " (the input already complied; copied unchanged)") if result.unchanged else ""
        click.secho(say(lang, f"已写入 {target}（{len(result.data) // 1024} KB）{note}：" + ("可以上传。" if ok else "仍不合格，请看上面的问题。"),
                        f"wrote {target} ({len(result.data) // 1024} KB){note}: " + ("ready to upload." if ok else "still fails; see the problems above.")),
                    fg="green" if ok else "red", bold=True)
    finish(exits.OK if ok else exits.FAIL, target)
