"""``photocheck serve``: a local web page where a student checks a make-up photo.

Standard library only (``http.server``): the page is three static files, and one JSON endpoint does
the work, so a web framework would add a dependency and nothing a student would see.

* Binds 127.0.0.1 only, on a free port; nothing is fetched from or sent to anywhere else (the page
  has no external scripts, fonts or requests, and a Content-Security-Policy forbids them).
* Requests must be addressed to 127.0.0.1 or localhost (the Host header), so a web site cannot
  reach the page through a DNS-rebinding trick.
* Uploads are processed in memory and forgotten when the answer is sent: no file is written.
* ``POST /api/check?photo=<n>&name=…&ref_name=…``: the body is the photo's bytes (the first ``n``
  bytes) followed by the optional enrollment photo's bytes. The answer is always JSON, also for
  bad uploads (not an image, too big, several faces), so the page can show a plain message.
"""

from __future__ import annotations

import base64
import json
import threading
import traceback
import webbrowser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import click

#: Largest request accepted (photo + reference). Phone photos are 2–12 MB; HEIC less.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
_STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
           "/index.html": ("index.html", "text/html; charset=utf-8"),
           "/app.js": ("app.js", "text/javascript; charset=utf-8"),
           "/style.css": ("style.css", "text/css; charset=utf-8")}
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
# The models are created once per process; one photo at a time keeps memory and CPU predictable.
_WORK_LOCK = threading.Lock()


def _both(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def _finding_json(f_zh, f_en) -> dict[str, Any]:
    return {"rule": f_zh.rule, "status": f_zh.status, "value": f_zh.to_dict()["value"], "limit": f_zh.limit,
            "title": _both(f_zh.title or f_zh.rule, f_en.title or f_en.rule),
            "message": _both(f_zh.message, f_en.message)}


def _findings(a, spec, rep_zh, rules: list[str]) -> list[dict[str, Any]]:
    """The findings ``rules`` of ``rep_zh`` with their English text (same analysis, re-judged in English)."""
    from ..check import report_for

    rep_en = report_for(a, spec, "en", select=rules) if a is not None and rules else None
    out = []
    for rid in rules:
        fz = rep_zh.finding(rid)
        fe = (rep_en.finding(rid) if rep_en else None) or fz
        out.append(_finding_json(fz, fe))
    return out


def _annotated_jpeg(a, rep) -> str | None:
    import io

    from PIL import Image

    from ..annotate import annotate

    if a is None:
        return None
    buf = io.BytesIO()
    Image.fromarray(annotate(a, rep)).save(buf, "JPEG", quality=88)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def references_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("photocheck.references") is not None


def _measurements(a) -> dict[str, float] | None:
    if a is None or a.face is None:
        return None
    return {"head_top": round(a.head_top, 1), "eye_line": round(a.eye_y, 1), "face_width": round(a.face_width, 1)}


def process(photo: bytes, name: str = "photo.jpg", reference: bytes | None = None,
            reference_name: str = "enrollment.jpg") -> dict[str, Any]:
    """Everything the page shows about one upload, as a JSON-ready dict (never raises for bad photos)."""
    from ..fix import fix

    stem = Path(name).stem or "photo"
    refs = [reference] if reference else []
    with _WORK_LOCK:
        r = fix(photo, lang="zh", references=refs, name=name, reference_names=[reference_name])
        out: dict[str, Any] = {"file": name, "made": r.data is not None, "unchanged": r.unchanged,
                               "references": ("unreadable" if r.reference_errors else
                                              "checked" if refs and references_available() else
                                              "unavailable" if refs else "none")}
        if r.reference_errors:  # the enrollment photo's problem, not the new photo's
            e = r.reference_errors[0]
            en = e.en.rstrip(". ")
            out["reference_error"] = _both(e.zh.rstrip("。") + "。未与入学照片比对。",
                                           en[:1].upper() + en[1:] + ". Not compared with the enrollment photo.")
        if r.unreadable:
            f = r.source_report.findings[0]
            out.update(verdict="error", headline=_both("无法读取这张图片", "This image cannot be read"),
                       detail=_both(f"{name}：{f.message}", f"{name}: {_en_error(photo, name)}"), problems=[])
            return out
        a_src = r.source_analysis
        if a_src is not None and a_src.face_count > 1:
            out["faces"] = a_src.face_count
        if r.data is not None and r.report is not None:
            a, spec, rep = r.output_analysis, r.output_analysis.spec, r.report
        else:
            a, spec, rep = a_src, a_src.spec, r.source_report
        problems = [f.rule for f in (r.blocking if r.blocking else rep.failed)]
        warnings = [f.rule for f in rep.warnings]
        shown = [f.rule for f in rep.findings if f.status != "skip"]
        out["problems"] = _findings(a_src if r.blocking else a, a_src.spec if r.blocking else spec,
                                    r.source_report if r.blocking else rep, problems)
        out["warnings"] = _findings(a, spec, rep, warnings)
        out["rules"] = _findings(a, spec, rep, shown)
        out["annotated"] = _annotated_jpeg(a, rep)
        out["measurements"] = _measurements(a)
        if a_src.face is None:
            out.update(verdict="fail", headline=_both("照片里没有找到人脸", "No face found in the photo"),
                       detail=_both("请上传一张正面、清晰、只有你一个人的照片。",
                                    "Upload a clear, frontal photo with only you in it."))
        elif r.ok and r.unchanged:
            out.update(verdict="pass", headline=_both("这张照片可以直接上传", "This photo can be uploaded as it is"),
                       detail=_both("它已经是 480×640 的合格文件，符合所有检查规则。",
                                    "It already is a compliant 480×640 file and passes every rule."))
        elif r.ok:
            out.update(verdict="fixed", headline=_both("可以使用：已生成标准照片", "Usable: the standard file is ready"),
                       detail=_both("已按规定裁剪、缩放为 480×640（未修饰人像、未改背景），生成的文件通过全部检查。请下载后上传。",
                                    "Cropped and scaled to 480×640 (no retouching, background unchanged); the new file passes every rule. Download it and upload that file."))
        elif r.blocking:
            out.update(verdict="fail", headline=_both("这张照片不能用，需要重拍", "This photo cannot be used: retake it"),
                       detail=_both("下面的问题无法通过裁剪解决。请按提示重新拍摄后再检查。",
                                    "Cropping cannot fix the problems below. Retake the photo as described, then check again."))
        else:
            out.update(verdict="fail", headline=_both("生成的文件仍不合格", "The standard file would still fail"),
                       detail=_both("请按下面的提示重新拍摄。", "Retake the photo as described below."))
        if out.get("faces", 1) > 1:
            out["detail"] = _both(f"照片里有 {out['faces']} 张人脸。请只拍你一个人，背景里不要有其他人或人像。",
                                  f"The photo shows {out['faces']} faces. Only you may be in the photo; no other people or pictures of people behind you.")
        if r.ok and r.data is not None and not r.unchanged:  # an unchanged file: nothing new to download
            out["download"] = {"name": f"{stem}_480x640.jpg", "bytes": len(r.data),
                               "data": base64.b64encode(r.data).decode()}
        return out


def _en_error(photo: bytes, name: str) -> str:
    from ..errors import PhotoError
    from ..io import load

    try:
        load(photo, name=name)
    except PhotoError as e:
        return e.en
    except Exception as e:  # pragma: no cover - the loader turns everything into PhotoError
        return str(e)
    return "unreadable"


class Handler(BaseHTTPRequestHandler):
    server_version = "photocheck"
    sys_version = ""

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet: no file names in a terminal log
        if getattr(self.server, "verbose", False):
            super().log_message(fmt, *args)

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", _CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, obj: dict, status: int = 200) -> None:
        try:
            self._send(status, json.dumps(obj, ensure_ascii=False).encode(), "application/json; charset=utf-8")
        except (BrokenPipeError, ConnectionResetError):  # the page was closed or reloaded meanwhile
            self.close_connection = True

    def _error(self, zh: str, en: str, status: int = 200) -> None:
        self._json({"verdict": "error", "headline": _both("无法检查", "Cannot check"),
                    "detail": _both(zh, en), "problems": []}, status)

    def _host_ok(self) -> bool:
        """Only pages addressed to this machine by name or loopback IP (guards against DNS rebinding)."""
        port = self.server.server_address[1]
        if self.headers.get("Host", "") in (f"127.0.0.1:{port}", f"localhost:{port}"):
            return True
        self._send(421, "只接受本机地址 / local address only".encode(), "text/plain; charset=utf-8")
        return False

    def do_GET(self) -> None:
        if not self._host_ok():
            return
        path = urlsplit(self.path).path
        if path == "/api/health":
            self._json({"ok": True, "references": references_available()})
            return
        entry = _STATIC.get(path)
        if entry is None:
            self._send(404, "没有这个页面 / not found".encode(), "text/plain; charset=utf-8")
            return
        body = resources.files("photocheck.web").joinpath("static", entry[0]).read_bytes()
        self._send(200, body, entry[1])

    def do_POST(self) -> None:
        if not self._host_ok():
            self.close_connection = True
            return
        url = urlsplit(self.path)
        if url.path != "/api/check":
            self._send(404, b"not found", "text/plain; charset=utf-8")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length <= 0:
            self._error("没有收到照片。请选择一张照片。", "No photo received. Choose a photo.")
            return
        if length > MAX_UPLOAD_BYTES:
            self._drain(length)
            mb = MAX_UPLOAD_BYTES // 2**20
            self._error(f"文件太大（{length / 2**20:.1f} MB），最大 {mb} MB。请上传相机或手机拍的原图，不要上传视频或压缩包。",
                        f"The upload is too large ({length / 2**20:.1f} MB); the limit is {mb} MB. Upload the photo itself, not a video or an archive.",
                        413)
            return
        body = self.rfile.read(length)
        q = parse_qs(url.query)
        name = Path((q.get("name") or ["photo.jpg"])[0]).name[:120] or "photo.jpg"
        ref_name = Path((q.get("ref_name") or ["enrollment.jpg"])[0]).name[:120] or "enrollment.jpg"
        try:
            n = int((q.get("photo") or [len(body)])[0])
        except ValueError:
            n = len(body)
        n = max(0, min(n, len(body)))
        photo, reference = body[:n], body[n:] or None
        try:
            answer = process(photo, name, reference, ref_name)
        except Exception as e:  # never a server error page: say what happened, in both languages
            if getattr(self.server, "verbose", False):
                traceback.print_exc()
            self._error(f"检查时出错（{type(e).__name__}）。请换一张照片再试；如仍出错，请把照片和此信息交给老师。",
                        f"Checking failed ({type(e).__name__}: {e}). Try another photo; if it happens again, report it with the photo.")
            return
        self._json(answer)

    def _drain(self, length: int) -> None:
        """Read and drop an oversized body (up to 8× the cap) so the browser gets the answer."""
        left = min(length, 8 * MAX_UPLOAD_BYTES)
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)
        if length > 8 * MAX_UPLOAD_BYTES:
            self.close_connection = True


def make_server(port: int = 0, *, verbose: bool = False) -> ThreadingHTTPServer:
    """The page's server on 127.0.0.1 (``port=0``: a free port; read it from ``server.server_address``)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.verbose = verbose  # type: ignore[attr-defined]
    return server


@click.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Do not open the page in the browser.")
@click.option("--verbose", is_flag=True, help="Log requests and errors to the terminal.")
def serve_cmd(port, no_browser, verbose):
    """Open a local page to check a photo and download the standard 480×640 file.

    Runs on this computer only (127.0.0.1); photos never leave it and are not saved.
    Stop with Ctrl+C.
    """
    from ..inference import get_models

    try:
        server = make_server(port, verbose=verbose)
    except OSError as e:
        raise click.UsageError(f"cannot listen on 127.0.0.1:{port}: {e}")
    get_models()  # load the models before the first photo, so the first answer is not slow
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    click.secho(f"photocheck 照片自查页面 / photo check page: {url}", bold=True)
    click.echo("照片只在本机处理，不会上传或保存。按 Ctrl+C 结束。 / Photos stay on this computer. Ctrl+C to stop.")
    if not no_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("\n已停止 / stopped")
    finally:
        server.server_close()
