"""``photocheck watch``: the live check at the camera (docs/watch.md); the pipeline is :mod:`photocheck.watch`."""

from __future__ import annotations

import os
import signal
import sys
import webbrowser

import click

from ..batch.errors import BatchUsageError
from ..batch.roster import RosterError
from ..batch.runner import prepare
from ..batch.settings import load_settings
from ..watch.app import WatchApp
from ..watch.live import LiveBatch, Options
from ..watch.server import bound_port, make_server
from ..web.app import is_loopback
from . import exits, options


def finish_command(shots_dir: str, log: str, out_dir: str, *, roster=None, references=None, name_template=None,
                   settings_path=None, experimental=False, trust_order=False, lang="zh") -> str:
    """The ``photocheck batch`` command that finishes a watched shoot, quoted for this system's shell.

    >>> finish_command("shots", "log.csv", "out") if os.name != "nt" else "photocheck batch shots --log log.csv --out out"
    'photocheck batch shots --log log.csv --out out'
    """
    args = ["photocheck", "batch", shots_dir, "--log", log, "--out", out_dir]
    for opt, value in (("--roster", roster), ("--references", references), ("--settings", settings_path)):
        if value:
            args += [opt, value]
    if name_template and name_template != "{student_id}.jpg":
        args += ["--name-template", name_template]
    if experimental:
        args.append("--experimental")
    if trust_order:
        args.append("--trust-order")
    if lang != "zh":
        args += ["--lang", lang]
    if os.name == "nt":
        import subprocess

        return subprocess.list2cmdline(args)
    import shlex

    return shlex.join(args)


@click.command("watch")
@options.shots_dir()
@options.log(help="Shot-number log (as for batch); read again whenever it changes on disk.")
@options.roster(help="Registration form joined to the log (as for batch); read again whenever it changes.")
@options.references_dir(help="Folder of reference photos named by student id.")
@options.out_dir(help="Output folder: the analyses are journaled here, for `photocheck batch --out` to reuse.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address of the operator page. Anything but loopback (a tablet) needs --allowed-host.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port (0: any free port).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="Host name or address the page is opened by from another device, e.g. 192.168.1.20 (repeatable).")
@options.lang(help="Page and message language.")
@click.option("--no-browser", is_flag=True, help="Do not open the page in the browser.")
@options.name_template(help="Upload file name for the final batch: {student_id} {name} {shot_no} {code}.")
@options.settings(help="TOML file overriding photocheck/batch/settings.toml (as for batch).")
@options.experimental(help="Also run the experimental rules (as for batch).")
@options.trust_order(help="As for batch: a photo matched by shooting order only counts as OK instead of 请核对 (check).")
@click.option("--poll", is_flag=True,
              help="Look for new files by polling instead of file-system events (a network share that sends none).")
@click.option("--timeout", "timeout_s", type=click.FloatRange(1, 600), default=10.0, show_default=True,
              help="Seconds without change after which a file that never completes is reported unreadable.")
def watch_cmd(shots_dir, log, roster, ref_dir, out_dir, host, port, allowed_hosts, lang, no_browser, name_template,
              settings_path, experimental, trust_order, poll, timeout_s):
    """Check each photo as the camera writes it into SHOTS_DIR, on a page beside the camera.

    Every frame is matched to the shot-number log and judged like `photocheck batch` judges it,
    within a second or two: OK, 重拍 (retake, with the reasons) or 请核对 (check: a stranger, a
    swap, no evidence). SHOTS_DIR is only read. Stop with Ctrl+C, then run the `photocheck batch`
    command it prints: it reuses every analysis and writes the upload files and the report.
    """
    zh = lang == "zh"
    if not is_loopback(host) and not allowed_hosts:
        raise click.UsageError(f"--host {host} is reachable from other machines: name the address the tablet "
                               "opens with --allowed-host (e.g. --allowed-host 192.168.1.20)")
    try:
        settings = load_settings(settings_path)
        if experimental:
            settings["rules"]["experimental"] = True
        inputs = prepare(shots_dir, log, out_dir, references=ref_dir, name_template=name_template, lang=lang,
                         settings=settings, roster=roster, trust_order=trust_order,
                         allow_empty_log=True)  # started before the first student has scanned
    except (BatchUsageError, RosterError) as e:
        click.secho(("错误：" if zh else "error: ") + e.message(lang), fg="red", err=True)
        sys.exit(exits.USAGE)
    live = LiveBatch(inputs, Options(timeout=timeout_s, poll=poll))
    app = WatchApp(live, host=host, allowed_hosts=allowed_hosts)
    try:
        server = make_server(app, host, port)
    except OSError as e:
        live.journal.close()
        raise click.UsageError(f"cannot listen on {host}:{port}: {e}") from None
    shown = "127.0.0.1" if host in ("localhost", "0.0.0.0") else f"[{host.strip('[]')}]" if ":" in host else host
    url = f"http://{shown}:{bound_port(server)}/"
    live.start()
    click.secho(("拍摄现场检查页面：" if zh else "operator page: ") + url, bold=True)
    for name in allowed_hosts:  # the addresses a tablet at the camera opens
        shown = f"[{name.strip('[]')}]" if ":" in name.strip("[]") else name
        click.echo(("其他设备（平板）打开：" if zh else "from another device (tablet): ") + f"http://{shown}:{bound_port(server)}/")
    click.echo(f"正在监视 {shots_dir}（只读），分析结果保存在 {out_dir}。按 Ctrl+C 结束。" if zh else
                f"watching {shots_dir} (read only); analyses are kept in {out_dir}. Ctrl+C to stop.")
    if not no_browser:
        webbrowser.open(url)
    def _stop(signum, frame):  # Ctrl+C / SIGTERM: end the event streams first, so the server stops at once
        live.request_stop()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.run()  # returns on Ctrl+C (waitress catches the KeyboardInterrupt)
    except KeyboardInterrupt:
        pass
    finally:
        live.stop()
        server.close()
    cmd = finish_command(shots_dir, log, out_dir, roster=roster, references=ref_dir, name_template=name_template,
                         settings_path=settings_path, experimental=experimental, trust_order=trust_order, lang=lang)
    click.echo()
    click.secho("已停止。" if zh else "stopped.", bold=True)
    click.echo(f"已分析 {live.analysed} 张照片（保存在 {out_dir}）。拍摄结束后运行下面的命令，生成上传文件和报告（不会重新分析）："
                if zh else f"{live.analysed} photo(s) analysed (kept in {out_dir}). When the shoot is over, run this to write "
                           "the upload files and the report (nothing is analysed again):")
    click.echo(f"  {cmd}")
    lost, missing = live.not_confirmed_if_closed()
    if lost:
        shots, rows = "、".join(lost) if zh else ", ".join(lost), ("、" if zh else ", ").join(missing) or "—"
        click.secho(f"注意：如果现在结束拍摄，拍摄号 {shots} 在页面上是合格，但 batch 无法确认它们：记录中的拍摄号 {rows} "
                    "没有照片，照片与记录的对应因此不唯一。请补拍这些学生，或用 --references 提供学籍照片，"
                    "再运行上面的命令。" if zh else
                    f"note: if the shoot ends now, shot(s) {shots} shown OK on the page will not be confirmed by batch: "
                    f"logged shot(s) {rows} have no photo, so which photo is whose is no longer certain. Photograph "
                    "those students, or give --references, then run the command above.", fg="yellow", bold=True)
    click.echo("要继续监视，再次运行同一条 watch 命令即可。" if zh else "To go on watching, run the same watch command again.")

