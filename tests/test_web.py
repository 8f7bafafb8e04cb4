"""`photocheck serve` in a real headless browser (Debian's Chromium driven by Playwright).

A student uploads a compliant file, a phone-style original (fixed and downloaded), a photo that
cannot be used, and bad uploads; the page must answer each plainly. Screenshots at laptop and
phone width go to $PHOTOCHECK_SCREENSHOTS (default: pytest's temp dir) for a person to look at.
Skips cleanly when Chromium or Playwright is missing (CI installs both).

The server is ``photocheck serve`` exactly as a student runs it (no options: 127.0.0.1, a free
port, the browser opened on the page), with $BROWSER recording the address it opens.
The multi-worker service is tested in tests/test_web_service.py.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import photocheck
from photocheck.web.app import MAX_UPLOAD_BYTES
from support.compose import compliant_upload, london, on_background, read_rgb
from support.serve import ServeProcess, check, request

CHROMIUM = os.environ.get("PHOTOCHECK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``photocheck serve`` with no options; $BROWSER writes the address it is asked to open."""
    d = tmp_path_factory.mktemp("serve-default")
    opened = d / "opened.txt"
    recorder = f"{sys.executable} -c 'import sys; open(sys.argv[1], \"w\").write(sys.argv[2])' {shlex.quote(str(opened))} %s"
    srv = ServeProcess(env={**os.environ, "BROWSER": recorder})
    yield srv, opened
    srv.stop()


@pytest.fixture(scope="module")
def server(served) -> str:
    return served[0].url


def test_default_serve_is_loopback_only_opens_the_browser_and_answers_bad_requests_with_json(served):
    srv, opened = served
    server = srv.url
    assert server.startswith("http://127.0.0.1:")
    for _ in range(100):  # the browser is opened right after the address is printed
        if opened.exists() and opened.read_text():
            break
        time.sleep(0.1)
    assert opened.read_text() == server
    said = "".join(srv.out)  # where the photos go, said truthfully for a laptop and a school's server alike
    assert "Photos are checked in the memory of the computer running photocheck" in said and "内存中检查" in said
    status, headers, html = request(srv.port, "GET", "/")  # the page, with a policy forbidding outside requests
    assert status == 200 and "default-src 'none'" in headers["content-security-policy"]
    html = html.decode()
    assert "http" not in html.replace("http-equiv", "")  # no external scripts, fonts, links
    assert 'data-host="local"' in html  # "processed on this computer only"
    # a page reaching this port under another host name (DNS rebinding) gets nothing
    status, _, body = request(srv.port, "GET", "/", headers={"Host": "evil.example:80"})
    assert status == 421 and json.loads(body)["error"] == "host"
    status, _, err = check(srv.port, ("big.jpg", b"\0" * (MAX_UPLOAD_BYTES + 1)))
    assert status == 413 and err["verdict"] == "error" and "25 MB" in err["detail"]["en"]
    assert srv.proc.poll() is None


# -- the browser --------------------------------------------------------------------------


def launch_browser(tmp_path_factory, *args: str):
    """A headless Chromium context (a generator for module fixtures); skips without Chromium or Playwright."""
    if not CHROMIUM:
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, headless=True,
                                                   args=FLAGS + list(args), accept_downloads=True,
                                                   viewport={"width": 1280, "height": 900})
        yield ctx
        ctx.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    yield from launch_browser(tmp_path_factory)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    d = Path(os.environ.get("PHOTOCHECK_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="module")
def photos(tmp_path_factory, faces) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("photos")
    out = {"compliant": d / "london_036_upload.jpg", "phone": d / "IMG_2041.jpg",
           "grey_wall": d / "london_006_original.jpg", "two_faces": d / "two_people.jpg",
           "not_image": d / "notes.jpg"}
    out["compliant"].write_bytes(compliant_upload("036"))
    Image.fromarray(on_background(read_rgb(london("005")))).save(out["phone"], quality=90)
    out["grey_wall"].write_bytes(london("006").read_bytes())
    a, b = on_background(read_rgb(london("005"))), on_background(read_rgb(london("034")))
    Image.fromarray(np.hstack([a, b[: a.shape[0], : a.shape[1]]])).save(out["two_faces"], quality=90)
    out["not_image"].write_text("这不是照片 / not a photo")
    return out


def _check(page, path: Path, ref: Path | None = None) -> str:
    page.locator("#photo").set_input_files(str(path))
    if ref is not None:
        page.locator("#reference").set_input_files(str(ref))
    page.wait_for_function("() => !document.getElementById('result').hidden && "
                           "document.getElementById('busy').hidden", timeout=60_000)
    return page.get_attribute("#verdict", "data-verdict")


@pytest.fixture(scope="module")
def page(browser, server):
    pg = browser.new_page()
    outside = []
    pg.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None)
    pg.goto(server)
    yield pg
    assert outside == [], f"the page made requests off this machine: {outside}"
    pg.close()


def test_page_loads_with_no_console_errors_and_has_its_icon(browser, served):
    """Nothing the page asks for is missing (the tab icon was a 404 in the console)."""
    srv = served[0]
    pg = browser.new_page()
    errors, failed = [], []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    pg.goto(srv.url, wait_until="networkidle")
    pg.wait_for_timeout(500)  # the browser asks for the tab icon after the page has loaded
    assert errors == [] and failed == [], (errors, failed)
    href = pg.evaluate("() => document.querySelector('link[rel=icon]')?.href")
    assert href and pg.evaluate("u => fetch(u).then(r => r.status)", href) == 200
    pg.close()
    for path in ("/favicon.svg", "/favicon.ico"):  # browsers ask for /favicon.ico on their own
        status, headers, body = request(srv.port, "GET", path)
        assert status == 200 and headers["content-type"] == "image/svg+xml" and body.startswith(b"<svg")


def test_compliant_upload_passes(page, photos, shots):
    assert _check(page, photos["compliant"]) == "pass"
    assert "可以直接上传" in page.inner_text("#verdict-head")
    assert page.locator("#problems li").count() == 0
    assert page.is_visible("#annotated") and page.locator("#annotated").evaluate("i => i.naturalWidth") == 480
    page.evaluate("() => { document.getElementById('all-box').open = true; }")
    table = page.inner_text("#all")  # the Chinese page: limits without English "warn … or …"
    assert "提醒范围" in table and "warn" not in table and " or " not in table
    page.screenshot(path=str(shots / "laptop_pass.png"), full_page=True)


def test_phone_original_is_fixed_and_the_download_passes(page, photos, shots, tmp_path):
    assert _check(page, photos["phone"]) == "fixed"
    with page.expect_download() as dl:
        page.click("#download")
    saved = tmp_path / dl.value.suggested_filename
    dl.value.save_as(str(saved))
    assert saved.name == "IMG_2041_480x640.jpg"
    with Image.open(saved) as im:
        assert im.size == (480, 640)
    report = photocheck.check(str(saved), lang="en")
    assert report.ok, [(f.rule, f.value) for f in report.failed]
    page.screenshot(path=str(shots / "laptop_fixed.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.is_visible("#download")
    page.screenshot(path=str(shots / "phone_fixed.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.set_viewport_size({"width": 1280, "height": 900})


def test_unusable_photo_explains_in_chinese_and_english(page, photos, shots):
    assert _check(page, photos["grey_wall"]) == "fail"
    assert page.is_hidden("#download")
    problems = page.locator("#problems li")
    assert "background.color" in [problems.nth(i).get_attribute("data-rule") for i in range(problems.count())]
    zh = page.inner_text("#problems")
    assert "背景" in zh and "请使用" in zh  # what is wrong, and what to do
    page.click("#lang")
    en = page.inner_text("#problems")
    assert "background colour" in en and "背景" not in en
    page.screenshot(path=str(shots / "laptop_fail_en.png"), full_page=True)
    page.click("#lang")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.screenshot(path=str(shots / "phone_fail.png"), full_page=True)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the page must not scroll sideways on a phone"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_bad_uploads_get_a_clear_message(page, photos, shots):
    assert _check(page, photos["not_image"]) == "error"
    assert "notes.jpg" in page.inner_text("#verdict") and "无法读取" in page.inner_text("#verdict")
    huge = photos["not_image"].with_name("video.jpg")
    with open(huge, "wb") as fh:  # a sparse file: big, but nothing to write
        fh.truncate(MAX_UPLOAD_BYTES + 1)
    page.locator("#photo").set_input_files(str(huge))  # refused before it is sent
    page.wait_for_function("() => document.getElementById('verdict').innerText.includes('25 MB')", timeout=10_000)
    assert page.get_attribute("#verdict", "data-verdict") == "error"
    empty = photos["not_image"].with_name("IMG_0009.jpg")
    empty.write_bytes(b"")  # received, but empty: not "no photo received"
    page.locator("#photo").set_input_files(str(empty))
    page.wait_for_function("() => document.getElementById('verdict').innerText.includes('IMG_0009.jpg')", timeout=10_000)
    assert "空" in page.inner_text("#verdict") and "没有收到" not in page.inner_text("#verdict")
    assert _check(page, photos["two_faces"]) == "fail"
    text = page.inner_text("#verdict")
    assert "2 张人脸" in text, text
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(shots / "phone_two_faces.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_enrollment_slot(page, photos, shots):
    """The optional second photo: the same file as the enrollment photo must not pass as a new photo,
    and the page says it compared them."""
    verdict = _check(page, photos["phone"], ref=photos["phone"])
    assert verdict == "fail" and page.locator('#problems li[data-rule="authenticity.enrollment_reuse"]').count() == 1
    assert "已与入学照片比对" in page.inner_text("#refnote")
    page.screenshot(path=str(shots / "laptop_reference.png"), full_page=True)
    # an enrollment "photo" that is not an image is its own problem: the new photo is still usable
    assert _check(page, photos["phone"], ref=photos["not_image"]) == "fixed"
    assert "notes.jpg" in page.inner_text("#refnote") and "未与入学照片比对" in page.inner_text("#refnote")
    page.click("#clear-ref")  # back to the photo alone
    page.wait_for_function("() => !document.getElementById('result').hidden && "
                           "document.getElementById('busy').hidden", timeout=60_000)
    assert page.get_attribute("#verdict", "data-verdict") == "fixed"
