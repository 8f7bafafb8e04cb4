"""``photocheck batch``: the campus-shoot pipeline on the command line."""

from __future__ import annotations

import sys

import click

from ..batch.errors import BatchInterrupted, BatchUsageError
from ..batch.reports import STATUS_TEXT, json_text
from ..batch.roster import RosterError
from ..batch.runner import run_batch
from ..batch.settings import load_settings
from . import exits, options


@click.command("batch")
@options.shots_dir()
@options.log()
@options.roster()
@options.out_dir()
@options.references_dir(help="Folder of reference photos named by student id.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option("--force", is_flag=True, help="Overwrite existing upload files whose content differs.")
@click.option("--scheduler", help="Run on a Dask cluster: tcp://HOST:PORT (files must be readable by the workers).")
@options.name_template()
@options.lang(help="Report language.")
@options.settings()
@options.experimental(help="Also run the experimental rules (settings [rules] experimental); their findings are warnings.")
@options.trust_order()
@options.json(help="Print report.json to stdout instead of the summary.")
@click.option("--exit-zero", is_flag=True,
              help="Exit 0 even when some students need attention (demos, scripts that read the report instead).")
def batch_cmd(shots_dir, log, roster, out_dir, ref_dir, workers, force, scheduler, name_template, lang, settings_path,
              experimental, trust_order, as_json, exit_zero):
    """Match the camera files in SHOTS_DIR to the shot-number log, pick the best retake, check every
    photo and write upload-ready files plus report.json / report.csv / report.html.

    A photo matched only by shooting order (no references, no log times, no shot number in the file
    name) is unverified: it goes to review/, not upload/, unless --trust-order.

    Exit code: 0 every student ok, 1 some student needs attention (or is unverified), 2 usage or input error.
    Interrupted? Run the same command again: finished files are not analysed twice.
    """
    zh = lang == "zh"
    try:
        settings = load_settings(settings_path)
        if experimental:
            settings["rules"]["experimental"] = True
        result = run_batch(shots_dir, log, out_dir, workers=workers, references=ref_dir, force=force,
                           scheduler=scheduler, progress=not as_json, name_template=name_template, lang=lang,
                           settings=settings, roster=roster, trust_order=trust_order)
    except (BatchUsageError, RosterError) as e:
        click.secho(("错误：" if zh else "error: ") + e.message(lang), fg="red", err=True)
        sys.exit(exits.USAGE)
    except (KeyboardInterrupt, BatchInterrupted) as e:
        msg = ("已中断。已完成的分析保存在输出文件夹中，重新运行同一命令即可继续。" if zh else
               "interrupted. Finished analyses are kept in the output folder; run the same command again to continue.")
        click.secho(msg + (f" ({e})" if str(e) else ""), fg="yellow", err=True)
        sys.exit(exits.INTERRUPTED if isinstance(e, KeyboardInterrupt) else exits.FAIL)
    if as_json:
        click.echo(json_text(result.report))
    else:
        print_summary(result, lang)
    sys.exit(exits.OK if exit_zero else result.exit_code)


def print_summary(result, lang: str) -> None:
    """The students' and files' counts by status, the log/roster mismatches and where the report is."""
    zh = lang == "zh"
    rep = result.report
    sm = rep["summary"]
    click.echo()
    for i in rep["mismatches"]:
        click.secho(f"  ! {i['message']}", fg="yellow")
    parts = [f"{STATUS_TEXT[k][0 if zh else 1]} {v}" for k, v in sm["students"].items()]
    fparts = [f"{STATUS_TEXT[k][0 if zh else 1]} {v}" for k, v in sm["files_by_status"].items()]
    sep = "，" if zh else ", "
    click.secho(("学生：" if zh else "students: ") + sep.join(parts), bold=True,
                fg="green" if result.exit_code == exits.OK else "red")
    if sm.get("unverified"):
        n = sm["unverified"]
        click.secho(f"未核实 {n} 名：只按拍摄顺序匹配，照片在 review/ 而不在 upload/，请对照报告中的缩略图确认。" if zh else
                    f"unverified: {n} student(s) matched by shooting order only; their photos are in review/, not upload/: "
                    "confirm them against the thumbnails in the report.", fg="yellow", bold=True)
    if sm.get("trusted_order"):
        n = sm["trusted_order"]
        click.secho(f"--trust-order：{n} 名学生只按拍摄顺序匹配、未经核实，已按顺序导出到 upload/。" if zh else
                    f"--trust-order: {n} student(s) matched by shooting order only, not verified, exported to upload/ by order.",
                    fg="yellow", bold=True)
    click.echo(("文件：" if zh else "files: ") + sep.join(fparts))
    if "roster" in rep:
        ro = rep["roster"]
        click.echo(f"登记表：{ro['students']} 名学生，{ro['unresolved']} 行无法确定是谁，{len(ro['not_photographed'])} 名不在本次记录中"
                   if zh else f"registration form: {ro['students']} students, {ro['unresolved']} log row(s) not joined, "
                              f"{len(ro['not_photographed'])} not in this log")
    click.echo(("报告：" if zh else "report: ") + result.files.get("html", ""))
