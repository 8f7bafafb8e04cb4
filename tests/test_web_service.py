"""`photocheck serve` as a school's service: 2 check workers, limits, JSON for every answer, nothing
written to disk, and the page in Chromium against it.

One server for the module, started as an operator would (``--host 127.0.0.1 --workers 2
--allowed-host photo.example.test``), in an empty working folder with TMPDIR pointing at another
empty folder; the last test checks both are still empty. The time limit and the in-memory
guarantee of the server itself are tested in-process on a one-worker pool.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from waitress import wasyncore

from support.serve import ServeProcess, check, multipart_form, request
from test_web import launch_browser

import photocheck
from photocheck.web.app import App, host_allowed
from photocheck.web.pool import CheckPool, TimedOut
from photocheck.web.server import bound_port, make_server

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
HOST = "photo.example.test"  # the name students use; Chromium maps it to 127.0.0.1
ID_NUMBER = "110101199001011234"  # an ID-card-style number in a file name: must never reach the log


def phone_photo(seed: int = 0, size: tuple[int, int] = (2400, 3200)) -> bytes:
    """A compliant portrait as a camera-size JPEG with sensor-like grain (2400×3200: ~0.8 MB):
    the service must crop it to the standard 480×640 file."""
    rgb = np.asarray(Image.open(SAMPLES / "upload" / "london_005.jpg").convert("RGB").resize(size, Image.BICUBIC))
    noise = np.random.default_rng(seed).integers(-3, 4, rgb.shape)
    buf = io.BytesIO()
    Image.fromarray(np.clip(rgb + noise, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=92)
    return buf.getvalue()


@pytest.fixture(scope="module")
def photo() -> bytes:
    return phone_photo()


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    cwd, tmp = tmp_path_factory.mktemp("service-cwd"), tmp_path_factory.mktemp("service-tmpdir")
    srv = ServeProcess("--host", "127.0.0.1", "--port", "0", "--workers", "2", "--queue", "1", "--no-browser",
                       "--allowed-host", HOST, cwd=cwd, env={**os.environ, "TMPDIR": str(tmp)})
    srv.cwd, srv.tmp = cwd, tmp
    yield srv
    workers = srv.worker_pids()
    srv.stop()  # SIGTERM, as systemd stops it: the check workers must go with the front process
    time.sleep(1)
    assert srv.proc.returncode == 0 and not [p for p in workers if Path(f"/proc/{p}").exists()]


def test_two_workers_ready_and_only_the_allowed_host_names_are_served(service):
    status, _, body = request(service.port, "GET", "/healthz")
    health = json.loads(body)
    assert status == 200 and health["ok"] and health["workers"] == health["ready"] == 2 and health["queue"] == 1
    assert len(service.worker_pids()) == 2
    said = "".join(service.out)  # a server: not "photos stay on this computer", but where they are checked
    assert "检查服务" in said and "2 个检查进程" in said and "stay on this computer" not in said
    assert "Photos are checked in the memory of the computer running photocheck" in said
    for host in (HOST, f"{HOST.upper()}:8443", f"127.0.0.1:{service.port}"):
        status, headers, page = request(service.port, "GET", "/", headers={"Host": host})
        assert status == 200, host
        assert b'data-host="server"' in page  # the page says "on your school's server", not "on this computer"
    for host in ("evil.example", f"evil.example:{service.port}", f"{HOST}.evil.example", ""):
        status, headers, body = request(service.port, "GET", "/", headers={"Host": host})
        assert status == 421 and headers["content-type"].startswith("application/json"), host
        assert json.loads(body)["error"] == "host"


def test_host_names_served_follow_the_listen_address_and_allowed_hosts():
    laptop = App(None, host="127.0.0.5")  # any loopback address: that address, 127.0.0.1 and localhost
    assert laptop.local and all(host_allowed(h, "8080", laptop.loopback_names, laptop.allowed_hosts)
                                for h in ("127.0.0.5:8080", "LOCALHOST:8080", "127.0.0.1:8080"))
    assert not host_allowed("127.0.0.5:9999", "8080", laptop.loopback_names, laptop.allowed_hosts)
    v6 = App(None, host="::1")
    assert host_allowed("[::1]:8080", "8080", v6.loopback_names, v6.allowed_hosts)
    school = App(None, host="0.0.0.0", allowed_hosts=["Photo.Example.edu"])
    assert not school.local and school.access_log
    assert host_allowed("photo.example.edu", "8080", school.loopback_names, school.allowed_hosts)
    assert host_allowed("photo.example.edu:443", "8080", school.loopback_names, school.allowed_hosts)
    for h in ("127.0.0.1:8080", "10.0.0.7:8080", "photo.example.edu.evil.example", "[::1]:8080"):
        assert not host_allowed(h, "8080", school.loopback_names, school.allowed_hosts), h


def test_serve_on_the_network_needs_allowed_host_names():
    from click.testing import CliRunner

    from photocheck.cli import main

    r = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--no-browser"])
    assert r.exit_code == 2 and "--allowed-host" in r.output


def test_answer_has_the_check_json_report_the_annotated_image_and_the_standard_file(service, photo):
    status, _, a = check(service.port, ("IMG_2041.jpg", photo), lang="en")
    assert status == 200 and a["verdict"] == "fixed" and a["ok"], a.get("problems")
    std = base64.b64decode(a["download"]["data"])
    assert a["download"]["name"] == "IMG_2041_480x640.jpg" and Image.open(io.BytesIO(std)).size == (480, 640)
    assert Image.open(io.BytesIO(base64.b64decode(a["annotated"].split(",", 1)[1]))).size == (480, 640)
    # `report` is what `photocheck check --json` says about the standard file, in the language asked for
    direct = photocheck.check(std, lang="en", name="IMG_2041_480x640.jpg").to_dict()
    assert set(a["report"]) == set(direct) and a["report"]["ok"] is True
    assert [(f["rule"], f["status"]) for f in a["report"]["findings"]] == \
        [(f["rule"], f["status"]) for f in direct["findings"]]
    assert all(set(f) == {"rule", "status", "value", "limit", "message"} for f in a["report"]["findings"])
    skipped = [f["message"] for f in a["report"]["findings"] if f["status"] == "skip" and f["message"]]
    assert skipped and all(m.isascii() for m in skipped)  # English, as asked
    status, _, zh = check(service.port, ("IMG_2041.jpg", photo), lang="zh")
    assert status == 200 and any(not f["message"].isascii() for f in zh["report"]["findings"] if f["message"])


def _raw(port: int, data: bytes) -> tuple[int, dict]:
    """Send raw bytes on a socket; the status and JSON body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(data)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_limits_and_bad_requests_get_json_errors(service):
    port = service.port
    big, ctype = multipart_form({"photo": ("video.jpg", b"\0" * (30 * 2**20))})
    status, headers, body = request(port, "POST", "/api/check", big, {"Content-Type": ctype})  # sent in full
    err = json.loads(body)
    assert status == 413 and err["error"] == "too_large" and "30.0 MB" in err["detail"]["en"] and "25 MB" in err["detail"]["en"]
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)  # streamed, no Content-Length
    c.request("POST", "/api/check", body=(big[i:i + 2**20] for i in range(0, len(big), 2**20)),
              headers={"Content-Type": ctype, "Host": f"127.0.0.1:{port}"}, encode_chunked=True)
    r = c.getresponse()
    assert r.status == 413 and json.loads(r.read())["error"] == "too_large"
    c.close()
    # junk bytes as the photo: the loader's own message, naming the file
    status, _, a = check(port, ("notes.jpg", os.urandom(5000)))
    assert status == 422 and a["verdict"] == "error" and "notes.jpg" in a["detail"]["en"]
    assert a["report"]["findings"][0]["rule"] == "file.read" and a["report"]["findings"][0]["status"] == "error"
    # junk bytes as the request
    status, _, body = request(port, "POST", "/api/check", os.urandom(5000), {"Content-Type": "application/octet-stream"})
    assert status == 415 and json.loads(body)["error"] == "not_multipart"
    whole, ctype = multipart_form({"photo": ("a.jpg", b"x" * 1000)})
    status, _, body = request(port, "POST", "/api/check", whole[:700], {"Content-Type": ctype})  # cut short
    assert status == 400 and json.loads(body)["error"] == "bad_form"
    form, ctype = multipart_form({"lang": "en"})
    status, _, body = request(port, "POST", "/api/check", form, {"Content-Type": ctype})
    assert status == 400 and json.loads(body)["error"] == "no_photo"
    # a file of 0 bytes was received: it is empty, not missing
    status, _, a = check(port, ("IMG_0007.jpg", b""))
    assert status == 422 and a["verdict"] == "error" and a["report"]["findings"][0]["value"] == "empty"
    assert "IMG_0007.jpg" in a["detail"]["en"] and "empty" in a["detail"]["en"] and "空" in a["detail"]["zh"]
    status, headers, body = request(port, "GET", "/api/check")
    assert status == 405 and headers["allow"] == "POST" and json.loads(body)["error"] == "method"
    status, _, body = request(port, "GET", "/nothing-here")
    assert status == 404 and json.loads(body)["error"] == "not_found"
    status, err = _raw(port, b"NOT HTTP AT ALL\r\n\r\n")  # waitress's own refusal, in the API's JSON
    assert status == 400 and err["verdict"] == "error"
    assert service.proc.poll() is None


def _read_answer(s: socket.socket) -> bytes:
    """The bytes a server sends until it closes the connection (or the socket times out: a hang)."""
    answer = b""
    while chunk := s.recv(65536):
        answer += chunk
    return answer


def test_expect_100_continue_over_the_limit_is_refused_before_the_body(service, photo):
    """curl sends ``Expect: 100-continue`` for any body over 1 MB (as docs/api.md's example does):
    a declared length over the cap gets the 413 JSON at once, no "100 Continue" inviting a body that
    would be refused anyway (it used to, then hung up with an empty reply after a minute)."""
    port = service.port
    too_big = 30 * 2**20
    head = (f"POST /api/check HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {too_big}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\nExpect: 100-continue\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(head)  # headers only: the body is sent only if the server says 100 Continue
        answer = _read_answer(s)  # a server waiting for the body would time out here
    status_line, _, rest = answer.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert status_line.startswith(b"HTTP/1.1 413") and b"100 Continue" not in answer
    assert b"content-type: application/json" in headers.lower()
    err = json.loads(body)
    assert err["error"] == "too_large" and "30.0 MB" in err["detail"]["en"] and "25 MB" in err["detail"]["en"]
    # within the limit: 100 Continue, then the body, then the verdict
    form, ctype = multipart_form({"photo": ("IMG_2041.jpg", photo)})
    head = (f"POST /api/check HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {len(form)}\r\n"
            f"Content-Type: {ctype}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
        s.sendall(head)
        interim = b""
        while not interim.endswith(b"\r\n\r\n"):
            interim += s.recv(1)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(form)
        answer = _read_answer(s)
    assert answer.startswith(b"HTTP/1.1 200") and json.loads(answer.partition(b"\r\n\r\n")[2])["verdict"] == "fixed"


@pytest.mark.skipif(not shutil.which("curl"), reason="curl is not installed")
def test_curl_upload_over_the_limit_gets_the_413_json(service, tmp_path):
    """The issue's own command: ``curl -F photo=@big.jpg`` with a 27 MB file."""
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8" + os.urandom(27 * 2**20))
    r = subprocess.run(["curl", "-sv", "--max-time", "20", "-F", f"photo=@{big}",
                        f"http://127.0.0.1:{service.port}/api/check"], capture_output=True, check=False)
    assert r.returncode == 0, r.stderr.decode(errors="replace")[-2000:]
    assert b"Expect: 100-continue" in r.stderr and b"100 Continue" not in r.stderr.replace(b"Expect: 100-continue", b"")
    assert b"< HTTP/1.1 413" in r.stderr and json.loads(r.stdout)["error"] == "too_large"


def test_over_capacity_is_refused_at_once_with_retry_after(service, photo):
    """2 workers + 1 queued are admitted; the rest of a burst get 503 JSON with Retry-After."""
    results, go = [], threading.Barrier(8)

    def one(i):
        go.wait()
        t0 = time.monotonic()
        status, headers, a = check(service.port, (f"IMG_{i}.jpg", photo))
        results.append((status, headers, a, time.monotonic() - t0))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(s for s, _, _, _ in results)
    assert set(statuses) <= {200, 503} and all(a is not None for _, _, a, _ in results), statuses
    assert statuses.count(200) >= 3 and statuses.count(503) >= 1, statuses
    for status, headers, a, seconds in results:
        if status == 503:
            assert a["error"] == "busy" and int(headers["retry-after"]) == a["retry_after"] >= 1
            assert seconds < min(t for s, _, _, t in results if s == 200)  # refused before any check ended
        else:
            assert a["verdict"] == "fixed"
    health = json.loads(request(service.port, "GET", "/healthz")[2])
    assert health["refused"] >= statuses.count(503) and health["ready"] == 2


def test_log_has_requests_but_no_file_names_id_numbers_or_queries(service, photo):
    name = f"张三_{ID_NUMBER}.jpg"
    status, _, a = check(service.port, (name, photo))
    assert status == 200 and a["file"] == name  # the student sees the name; the log must not
    form, ctype = multipart_form({"photo": (name, b"not a photo")})
    request(service.port, "POST", f"/api/check?id={ID_NUMBER}", form, {"Content-Type": ctype})
    request(service.port, "GET", f"/{ID_NUMBER}.jpg")
    time.sleep(0.5)
    log = "".join(service.log)
    assert "POST /api/check 200" in log and "POST /api/check 422" in log and "GET (other) 404" in log
    assert ID_NUMBER not in log and "张三" not in log and "?" not in log


# -- the page in Chromium against the two-worker service ------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    yield from launch_browser(tmp_path_factory, f"--host-resolver-rules=MAP {HOST} 127.0.0.1")


def test_page_in_chromium_two_students_at_once(service, browser, photo, tmp_path):
    """Two students check at the same time through the school's host name; both get the standard file."""
    url = f"http://{HOST}:{service.port}/"
    (tmp_path / "IMG_2041.jpg").write_bytes(photo)
    (tmp_path / "IMG_2042.jpg").write_bytes(phone_photo(seed=1))
    pages = [browser.new_page(), browser.new_page()]
    outside = []
    for pg in pages:
        pg.on("request", lambda r: outside.append(r.url) if not r.url.startswith((url, "data:", "blob:")) else None)
        pg.goto(url)
    assert "学校的检查服务器" in pages[0].inner_text(".intro")
    pages[1].set_viewport_size({"width": 390, "height": 844})  # a phone
    for pg, name in zip(pages, ("IMG_2041.jpg", "IMG_2042.jpg")):  # both uploads in flight together
        pg.locator("#photo").set_input_files(str(tmp_path / name))
    for pg, name in zip(pages, ("IMG_2041", "IMG_2042")):
        pg.wait_for_function("() => !document.getElementById('result').hidden && "
                             "document.getElementById('busy').hidden", timeout=120_000)
        assert pg.get_attribute("#verdict", "data-verdict") == "fixed"
        with pg.expect_download() as dl:
            pg.click("#download")
        saved = tmp_path / dl.value.suggested_filename
        dl.value.save_as(str(saved))
        with Image.open(saved) as im:
            assert saved.name == f"{name}_480x640.jpg" and im.size == (480, 640)
    assert pages[1].evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    for pg in pages:
        pg.close()
    assert outside == [], f"the page made requests elsewhere: {outside}"


def test_page_waits_and_retries_when_every_worker_is_busy(service, browser, photo, tmp_path):
    """Capacity full (2 checking, 1 queued): the page gets 503, waits Retry-After, tries again, and
    the student still gets the standard file without doing anything."""
    url = f"http://{HOST}:{service.port}/"
    heavy = phone_photo(seed=2, size=(4200, 5600))  # 23 MP: each check takes a while
    (tmp_path / "IMG_2043.jpg").write_bytes(photo)
    pg = browser.new_page()
    statuses: list[int] = []
    pg.on("response", lambda r: statuses.append(r.status) if r.url.endswith("/api/check") else None)
    pg.goto(url)
    for _ in range(3):  # a background check may end just before the page asks: provoke again
        statuses.clear()
        fill = [threading.Thread(target=check, args=(service.port, (f"BG_{i}.jpg", heavy))) for i in range(3)]
        for t in fill:
            t.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            h = json.loads(request(service.port, "GET", "/healthz")[2])
            if h["busy"] == 2 and h["queued"] == 1:
                break
            time.sleep(0.02)
        pg.locator("#photo").set_input_files(str(tmp_path / "IMG_2043.jpg"))
        pg.wait_for_function("() => !document.getElementById('result').hidden && "
                             "document.getElementById('busy').hidden", timeout=180_000)
        for t in fill:
            t.join()
        if 503 in statuses:
            break
        pg.locator("#photo").set_input_files([])
    assert statuses[0] == 503 and statuses[-1] == 200, statuses
    assert pg.get_attribute("#verdict", "data-verdict") == "fixed"
    pg.close()


def test_nothing_was_written_to_the_working_folder_or_tmpdir(service, photo):
    """Runs last: after every test above (photos, an enrollment photo, refusals), both folders are empty."""
    enrollment = (SAMPLES / "upload" / "london_006.jpg").read_bytes()
    status, _, a = check(service.port, ("IMG_2041.jpg", photo), reference=("enrollment.jpg", enrollment))
    assert status == 200 and a["references"] == "checked"
    # another person: the message names the uploaded file, not "reference #1"
    identity = next(p for p in a["problems"] + a["warnings"] if p["rule"] == "authenticity.identity")
    assert "enrollment.jpg" in identity["message"]["zh"] and "enrollment.jpg" in identity["message"]["en"]
    assert "#" not in identity["message"]["en"]
    assert "warn" not in identity["message"]["zh"] and "提醒范围" in identity["message"]["zh"]  # the limit in Chinese
    assert list(Path(service.cwd).iterdir()) == [] and list(Path(service.tmp).iterdir()) == []


# -- in-process: the server's own memory-only guarantee, and the time limit -----------------


@pytest.fixture(scope="module")
def pool():
    p = CheckPool(workers=1, queue=0, time_limit=120)
    p.start()
    yield p
    p.close()


_WRITES: list[str] = []
_WATCH = threading.Event()


def _audit(event, args):
    # Python's own bytecode cache (a module imported for the first time in a fresh checkout) is
    # not photo data; anything else opened for writing is
    if event == "open" and _WATCH.is_set() and isinstance(args[2], int) and \
            args[2] & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and "__pycache__" not in str(args[0]):
        _WRITES.append(str(args[0]))


def test_server_keeps_uploads_and_answers_in_memory(pool, photo):
    """No file is opened for writing in the server process while an 0.8 MB upload is received,
    parsed and answered (waitress spools bodies over 512 KB to a temporary file unless told not to;
    on Linux that file has no name, so an empty TMPDIR alone would not show it)."""
    assert len(photo) > 512 * 1024
    server = make_server(App(pool), "127.0.0.1", 0)
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    sys.addaudithook(_audit)
    try:
        _WATCH.set()
        status, _, a = check(bound_port(server), ("IMG_2041.jpg", photo))
        _WATCH.clear()
    finally:
        _WATCH.clear()
        # stop the loop from its own thread (closing its sockets from here races its select())
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        t.join(30)
        server.task_dispatcher.shutdown()
    assert status == 200 and a["verdict"] == "fixed"
    assert _WRITES == []


def test_a_check_past_the_time_limit_is_answered_and_its_worker_replaced(pool, photo):
    pool.time_limit = 0.05  # no check of a camera-size photo ends this fast: decoding alone takes longer
    try:
        with pytest.raises(TimedOut):
            pool.run({"photo": photo, "name": "IMG_2041.jpg"})
        s = pool.status()
        assert s["timed_out"] == 1 and s["replaced"] == 1 and s["ready"] == 0  # killed; a new one is starting
    finally:
        pool.time_limit = 120
    deadline = time.monotonic() + 300
    while pool.status()["ready"] < 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert pool.status()["ready"] == 1  # capacity is back
    assert pool.run({"photo": photo, "name": "IMG_2041.jpg"})["verdict"] == "fixed"
