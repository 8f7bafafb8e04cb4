"""Shot-number cards: the printed PDF, reading cards as a camera sees them, and slates in the batch."""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from photocheck.batch.match import Frame, match
from photocheck.batch.roster import Row
from photocheck.batch.settings import load_settings
from photocheck.batch.slates import Slate, find_slates, match_cards
from photocheck.cards import (
    CardError,
    card_text,
    cards_pdf,
    parse_card_text,
    parse_range,
)
from photocheck.cards.reader import read_codes
from photocheck.cli import main
from photocheck.io import load
from support.cards import (
    CARD_SHOOT,
    CARD_SHOOT_FACES,
    PHONE_CODE,
    card_image,
    hold,
    jpeg_bytes,
    make_card_shoot,
    phone_image,
    render_pages,
)
from support.compose import FACES

REPO = Path(__file__).resolve().parents[1]
SHOOT_FRAMES = sorted(p for p in glob.glob(str(REPO / "samples/shoot/shots/DSC_*.JPG")) if not p.endswith("0424.JPG"))


# --- the card text and the range ---------------------------------------------------------------

def test_card_text_says_what_it_is_and_round_trips():
    t = card_text(123, "s-1")
    assert t == "PHOTOCHECK:SHOT:1:S-1:123"
    c = parse_card_text(t)
    assert (c.shot_no, c.session, c.version) == ("123", "S-1", 1)
    assert parse_card_text("https://example.com/123") is None  # any other QR code is no card
    assert parse_card_text("PHOTOCHECK:SHOT:2:X:5").version == 2  # a later format is recognised, not misread


@pytest.mark.parametrize("spec,first,last", [("0-5", None, None), ("5-3", None, None), ("1-100000", None, None),
                                              ("1-2500", None, None), ("abc", None, None), (None, 1, None),
                                              ("1-5,3-4", None, None), ("1-5", 1, 5), (None, None, None)])
def test_bad_ranges_are_refused(spec, first, last):
    with pytest.raises(CardError):
        parse_range(spec, first, last)


def test_ranges():
    assert parse_range("1-3,7") == [1, 2, 3, 7]
    assert parse_range(None, 9, 11) == [9, 10, 11]


def test_cli_writes_pdf_and_refuses_bad_input(tmp_path):
    out = tmp_path / "cards.pdf"
    r = CliRunner().invoke(main, ["cards", "1-9", "--out", str(out), "--session", "S1"])
    assert r.exit_code == 0, r.output
    assert len(render_pages(out.read_bytes(), 1)) == 3
    before = out.read_bytes()
    r = CliRunner().invoke(main, ["cards", "1-2", "--out", str(out)])  # never over an existing file
    assert r.exit_code == 2 and out.read_bytes() == before
    for args in (["1-99999999"], ["1-5000"], ["9-1"], ["x"], ["1-3", "--session", "太长的标签"]):
        r = CliRunner().invoke(main, ["cards", *args, "--out", str(tmp_path / "b.pdf"), "--lang", "en"])
        assert r.exit_code == 2, (args, r.output)
        assert "Traceback" not in r.output and not (tmp_path / "b.pdf").exists()


# --- the printed PDF ---------------------------------------------------------------------------

@pytest.mark.parametrize("cmd", ["cards", "watch", "batch"])
def test_help_reads_as_plain_text(cmd):
    """--help is what a newcomer reads first: no reStructuredText markup from the docstrings."""
    out = CliRunner().invoke(main, [cmd, "--help"]).output
    assert "Usage:" in out and "``" not in out and ":func:" not in out


@pytest.mark.parametrize("per_page", [4, 6])
def test_pdf_pages_and_codes_decode_to_their_numbers(per_page):
    numbers = list(range(1, 14))
    pages = render_pages(cards_pdf(numbers, "S1", per_page), 6)  # 6 px/mm ≈ 150 dpi, an office scan
    assert len(pages) == -(-len(numbers) // per_page)
    read = [parse_card_text(r.text) for p in pages for r in read_codes(p) if r.text]
    assert sorted(int(c.shot_no) for c in read) == numbers
    assert {c.session for c in read} == {"S1"}


def test_chinese_lines_print_without_any_font_of_the_viewer(monkeypatch):
    """A print shop's RIP or a minimal Linux has no Chinese font: the card's instruction must still
    be on the page. No PDF font may be registered for it (a system font may be absent, a CID font is
    left to the viewer), and the rendered card shows ink where the line is."""
    from reportlab.pdfbase import pdfmetrics

    from photocheck.cards.pdf import CARD_ZH, card_boxes

    register = pdfmetrics.registerFont

    def no_fonts(font, *a, **k):
        # reportlab registers the 14 standard PDF fonts (the digits' Helvetica) lazily on first use:
        # those every viewer has; any other font would be the Chinese line's
        if getattr(font, "fontName", None) in pdfmetrics.standardFonts:
            return register(font, *a, **k)
        raise AssertionError("the card registered a PDF font for its Chinese line")

    monkeypatch.setattr(pdfmetrics, "registerFont", no_fonts)
    pdf = cards_pdf([7], "S1")
    assert b"STSong" not in pdf
    px = 8  # px/mm ≈ 200 dpi
    page = render_pages(pdf, px)[0].mean(axis=2)
    box = card_boxes(4)[0]
    below = box.h - box.qr_side
    top = page.shape[0] - round((box.y + below * 0.14 + 3.2) * px)  # the line: baseline + one character up
    bottom = page.shape[0] - round((box.y + below * 0.14 - 1.0) * px)
    line = page[top:bottom, round(box.x * px):round((box.x + box.w) * px)]
    inked = (line < 128).any(axis=0)
    assert inked.sum() > 0.5 * line.shape[1], "the Chinese line is blank"
    # and the shipped font has every character the card draws (a missing one renders as nothing)
    from photocheck.cards.pdf import _zh_font

    font = _zh_font(40)
    notdef = bytes(font.getmask("\ue000"))
    assert not {ch for ch in CARD_ZH if not ch.isspace() and bytes(font.getmask(ch)) == notdef}


@pytest.mark.parametrize("per_page", [1, 2, 4, 6, 8])
def test_number_instruction_and_footer_never_overlap(per_page):
    """Under the code, three separate lines of ink: the number, the Chinese instruction, the footer
    (at 8 a page they once ran into each other)."""
    from photocheck.cards.pdf import card_boxes

    px = 12  # px/mm ≈ 300 dpi
    page = render_pages(cards_pdf([88], "SPRING-26", per_page), px)[0].mean(axis=2)
    box = card_boxes(per_page)[0]
    below = box.h - box.qr_side
    rows = page[page.shape[0] - round((box.y + below) * px):page.shape[0] - round(box.y * px),
                round((box.x + 2) * px):round((box.x + box.w - 2) * px)]
    inked = (rows < 160).any(axis=1)
    bands = int(inked[0]) + int(np.count_nonzero(inked[1:] & ~inked[:-1]))
    assert bands == 3, f"{bands} lines of ink under the code at {per_page} a page"


# --- reading cards as a camera sees them -------------------------------------------------------

@pytest.mark.parametrize("kw", [{"width_frac": 0.12, "yaw": 40, "pitch": 10}, {"width_frac": 0.07, "yaw": -15},
                                {"width_frac": 0.12, "blur_px": 9, "blur_angle": 30},
                                {"width_frac": 0.12, "glare": 0.9, "yaw": 20}, {"width_frac": 0.2, "roll": 12}])
def test_card_held_in_a_camera_frame_is_read(tmp_path, kw):
    frame = np.asarray(Image.open(SHOOT_FRAMES[3]).convert("RGB"))
    img, _ = hold(frame, card_image(57, "S1"), cx=0.55, cy=0.8, **kw)
    path = tmp_path / "f.jpg"
    path.write_bytes(jpeg_bytes(img, 90))
    reads = read_codes(load(str(path)).rgb, path)  # the batch's working image, refined on the file
    assert [parse_card_text(r.text).shot_no for r in reads if r.text] == ["57"]


def test_phone_screen_qr_is_read(tmp_path):
    frame = np.asarray(Image.open(SHOOT_FRAMES[0]).convert("RGB"))
    img, _ = hold(frame, phone_image(PHONE_CODE), width_frac=0.08, cx=0.45, cy=0.78, yaw=15)
    assert [r.text for r in read_codes(img) if r.text] == [PHONE_CODE]


@pytest.mark.faces
def test_portraits_are_never_read_as_cards():
    """Every real portrait and sample-shoot frame: no code read or even seen, so none can become a
    slate or be failed as showing a card."""
    paths = sorted(glob.glob(str(FACES / "images" / "*.jpg")) + glob.glob(str(FACES / "images" / "*.png"))) + SHOOT_FRAMES
    read = {p: [r.text for r in read_codes(load(p).rgb, p)] for p in paths}
    assert len(read) > 100
    assert {p: t for p, t in read.items() if t} == {}


# --- slates in the batch: the alignment logic on made-up faces ---------------------------------

CFG = load_settings()
RNG = np.random.default_rng(5)
FACE = {k: v / np.linalg.norm(v) for k, v in ((k, RNG.normal(size=128).astype(np.float32)) for k in "ABCDEFGH")}


def _rows(n, times=None):
    return [Row(line=j + 2, shot_no=str(j + 1), student_id=f"S{j + 1}", seconds=None if times is None else times[j])
            for j in range(n)]


def _run(seq, rows, refs=None, open_end=False):
    """seq: ("card", shot, holder face or None) | ("face", face key): frames in capture order."""
    frames, slates = [], {}
    for k, item in enumerate(seq):
        rel = f"F{k:02d}.jpg"
        if item[0] == "card":
            slates[rel] = Slate(rel, None, k, card_text(item[1]), str(item[1]), str(item[1]),
                                None if item[2] is None else FACE[item[2]], False)
        else:
            frames.append(Frame(rel, None, FACE[item[1]], k))
    return match_cards(frames, rows, refs or {}, CFG, slates, match, open_end=open_end)


def _who(m, rows):
    return {rows[j].shot_no: (rm.state, rm.how, m.subjects[rm.subject].files if rm.subject is not None else None)
            for j, rm in enumerate(m.rows)}


def test_card_binds_the_frames_after_it_even_out_of_order():
    rows = _rows(3)
    m = _run([("card", 2, None), ("face", "B"), ("face", "B"), ("card", 1, None), ("face", "A"), ("card", 3, None), ("face", "C")], rows)
    w = _who(m, rows)
    assert w["1"] == ("ok", "card", ["F04.jpg"]) and w["2"] == ("ok", "card", ["F01.jpg", "F02.jpg"]) and w["3"][2] == ["F06.jpg"]


def test_card_contradicted_by_the_reference_is_reported_not_trusted():
    rows = _rows(2)
    m = _run([("card", 1, None), ("face", "B"), ("card", 2, None), ("face", "A")], rows, refs={0: FACE["A"], 1: FACE["B"]})
    w = _who(m, rows)
    assert w["1"][0] == w["2"][0] == "mismatch"
    assert any(i.kind == "card" and "reference" in i.en for i in m.issues)


def test_card_held_by_another_person_is_reported():
    rows = _rows(1)
    m = _run([("card", 1, "A"), ("face", "B")], rows)
    assert _who(m, rows)["1"][0] == "mismatch"
    assert any("holding card 1" in i.en for i in m.issues)


def test_two_faces_after_one_card_and_portrait_before_any_card_are_reported():
    rows = _rows(3)
    m = _run([("face", "H"), ("card", 1, "A"), ("face", "A"), ("face", "G"), ("card", 3, None), ("face", "C")], rows)
    w = _who(m, rows)
    assert w["1"] == ("ok", "card", ["F02.jpg"])  # the face that held the card, not the later one
    assert any("before the first shot-number card" in i.en and "F00.jpg" in i.files for i in m.issues)
    assert any("different person follows card 1" in i.en and "F03.jpg" in i.files for i in m.issues)
    # G sits between cards 1 and 3: only shot 2 fits; matched by order, which is not verified
    assert w["2"][:2] == ("unverified", "order") and w["2"][2] == ["F03.jpg"]
    # H was photographed before card 1: no row before shot 1 is free, so H is a person not in the log
    assert any(m.subjects[si].files == ["F00.jpg"] for si in m.unassigned)
    assert any(i.kind == "stranger" and "before card 1" in i.en and i.files == ["F00.jpg"] for i in m.issues)


def test_card_with_no_portrait_after_it_is_a_missing_student():
    rows = _rows(2)
    m = _run([("card", 1, None), ("card", 2, None), ("face", "B")], rows)
    w = _who(m, rows)
    assert w["1"][0] == "missing" and w["2"] == ("ok", "card", ["F02.jpg"])
    assert any(i.kind == "missing" and "card 1 was photographed" in i.en for i in m.issues)


def test_card_time_disagreement_is_reported():
    rows = _rows(4, times=[0.0, 60.0, 120.0, 180.0])
    frames, slates = [], {}
    for k, (shot, face, t) in enumerate([(1, "A", 30), (2, "B", 90), (3, "C", 150), (4, "D", 400)]):
        slates[f"c{k}"] = Slate(f"c{k}", t - 5, 2 * k, card_text(shot), str(shot), str(shot), None, False)
        frames.append(Frame(f"p{k}", float(t), FACE[face], 2 * k + 1))
    m = match_cards(frames, rows, {}, CFG, slates, match)
    assert [rm.state for rm in m.rows] == ["ok", "ok", "ok", "mismatch"]
    assert any("the card and the time disagree" in i.en for i in m.issues)


def test_cards_of_another_session_or_unknown_shot_bind_nothing():
    rows = _rows(2)
    recs = [{"rel": "a.jpg", "embedding": None, "card": [{"text": card_text(1, "S1"), "shot_no": "1", "session": "S1", "version": 1, "in_crop": None}]},
            {"rel": "b.jpg", "embedding": None, "card": [{"text": card_text(2, "S1"), "shot_no": "2", "session": "S1", "version": 1, "in_crop": None}]},
            {"rel": "c.jpg", "embedding": None, "card": [{"text": card_text(2, "OLD"), "shot_no": "2", "session": "OLD", "version": 1, "in_crop": None}]},
            {"rel": "d.jpg", "embedding": None, "card": [{"text": card_text(7, "S1"), "shot_no": "7", "session": "S1", "version": 1, "in_crop": None}]},
            {"rel": "e.jpg", "embedding": [0.0] * 128, "card": [{"text": "https://example.com", "in_crop": True}]}]
    sl = find_slates(recs, [None] * 5, {r["rel"]: k for k, r in enumerate(recs)}, rows)
    assert sl["a.jpg"].key == "1" and sl["b.jpg"].key == "2"
    assert sl["c.jpg"].key is None and "another session" in sl["c.jpg"].problem.en
    assert sl["d.jpg"].key is None and "no shot 7" in sl["d.jpg"].problem.en
    assert "e.jpg" not in sl  # a QR code that is no card and no log code: the frame is no slate


def test_phone_code_equal_to_the_log_code_is_a_slate():
    rows = _rows(2)
    rows[1].code = PHONE_CODE
    recs = [{"rel": "p.jpg", "embedding": None, "card": [{"text": PHONE_CODE, "in_crop": None}]}]
    assert find_slates(recs, [None], {"p.jpg": 0}, rows)["p.jpg"].key == "2"


# --- the whole batch on real faces with printed cards ------------------------------------------

@pytest.fixture(scope="module")
def card_shoot(tmp_path_factory):
    from photocheck.batch import run_batch

    d = tmp_path_factory.mktemp("cardshoot")
    truth = make_card_shoot(d)
    settings = load_settings()
    r = run_batch(d / "shots", d / "shots.csv", d / "out", workers=1, progress=False, lang="en", settings=settings)
    return d, truth, r


@pytest.mark.faces
def test_card_shoot_every_frame_goes_to_the_right_student(card_shoot):
    """Printed cards photographed before each student, no references, no log times: a swap (3/4),
    a forgotten card (5), a missing student whose card was photographed (6), a stranger (after 7),
    a phone 采集码 (8) and a card held outside the crop (9, 10)."""
    _, truth, r = card_shoot
    files = {f["file"]: f for f in r.report["files"]}
    for name, (kind, shot) in truth.items():
        f = files[name]
        if kind in ("card", "card_alone", "phone"):
            assert f["status"] == "slate" and f["shot_no"] == str(shot), (name, f)
        elif shot is None:
            assert f["status"] == "unmatched", (name, f)  # the stranger
        else:
            assert f["status"] in ("used", "retake") and f["shot_no"] == str(shot), (name, f)
    st = {s["shot_no"]: s for s in r.students if s["shot_no"]}
    for shot in (1, 2, 3, 4, 7, 8, 9, 10):
        assert st[str(shot)]["matched_by"] == "card" and st[str(shot)]["status"] in ("ok", "failed"), st[str(shot)]
    side = [n for n, (k, _) in truth.items() if k == "card_side"]
    assert st["9"]["retakes"] == [side[0]] and st["10"]["file"] == side[1]  # a frame without the card first
    assert st["5"]["matched_by"] == "order" and st["5"]["status"] == "unverified"  # forgotten card: not verified
    assert st["6"]["status"] == "missing"
    assert [s["file"] for s in r.students if s["status"] == "unmatched"] == [n for n, t in truth.items() if t[1] is None]
    kinds = " ".join(m["message"] for m in r.report["mismatches"])
    assert "card 6 was photographed" in kinds and "different person follows card 3" in kinds
    assert "different person follows card 7" in kinds
    stranger = [m for m in r.report["mismatches"] if m["kind"] == "stranger"]
    assert len(stranger) == 1 and "after card 7 and before card 8" in stranger[0]["message"]


@pytest.mark.faces
def test_card_shoot_no_slate_or_card_reaches_upload(card_shoot):
    d, truth, r = card_shoot
    uploads = sorted((d / "out" / "upload").glob("*.jpg"))
    assert uploads, "the confirmed students are exported"
    expect = {f"2026{shot:03d}.jpg" for shot in (1, 2, 3, 4, 7, 8, 9, 10)}
    assert {p.name for p in uploads} <= expect
    for p in uploads:  # the card held outside the crop (shot 10) is not in the upload file either
        assert read_codes(load(str(p)).rgb) == []
    slates = {n for n, (k, _) in truth.items() if k in ("card", "card_alone", "phone")}
    assert not slates & {s["file"] for s in r.students} and not slates & {f for s in r.students for f in s["retakes"]}


def test_card_shoot_table_is_consistent():
    assert set(CARD_SHOOT_FACES) == {s for _, s, _ in CARD_SHOOT if s is not None}


def test_code_found_but_not_read_on_the_working_image_is_read_on_the_camera_file(tmp_path, monkeypatch):
    """The refinement: a code detected on the working image that no decoder reads there is decoded
    on a crop of the full-resolution file, and its corners come back in working-image pixels."""
    from photocheck.cards import reader

    frame = np.asarray(Image.open(SHOOT_FRAMES[2]).convert("RGB"))
    img, quad = hold(frame, card_image(31, "S1"), width_frac=0.08, cx=0.4, cy=0.8, yaw=15)
    path = tmp_path / "f.jpg"
    path.write_bytes(jpeg_bytes(img, 92))
    small = np.asarray(Image.fromarray(img).resize((750, 500), Image.Resampling.LANCZOS))
    real = reader._wechat_read
    monkeypatch.setattr(reader, "_wechat_read", lambda g: real(g) if g.shape[1] > 200 else [])  # fails on the small crop
    for source in (path, path.read_bytes()):  # the file by its path, or its bytes (photocheck watch reads them once)
        reads = reader.read_codes(small, source)
        assert [(parse_card_text(r.text).shot_no, r.stage) for r in reads if r.text] == [("31", "full")]
        centre = quad.mean(0) / 4  # the card's centre in the 750×500 image
        assert np.linalg.norm(reads[0].quad.mean(0) - centre) < 15


def test_live_shoot_last_card_and_rows_after_it_are_not_missing():
    """photocheck watch (an open end): the card just photographed and the rows after it wait."""
    rows = _rows(4)
    seq = [("card", 1, None), ("face", "A"), ("card", 2, None)]
    frames, slates = [], {}
    for k, item in enumerate(seq):
        rel = f"F{k:02d}.jpg"
        if item[0] == "card":
            slates[rel] = Slate(rel, None, k, card_text(item[1]), str(item[1]), str(item[1]), None, False)
        else:
            frames.append(Frame(rel, None, FACE[item[1]], k))
    m = match_cards(frames, rows, {}, CFG, slates, match, open_end=True)
    assert m.rows[0].how == "card"
    assert not [i for i in m.issues if i.kind == "missing"]
    m = match_cards(frames, rows, {}, CFG, slates, match)  # the shoot is over: all three are missing
    assert sorted(i.shot_nos[0] for i in m.issues if i.kind == "missing") == ["2", "3", "4"]


def test_student_photographed_before_their_card_goes_to_that_card():
    """The photographer shot student 2 before their card (which they then held): the face decides,
    and the report says so; card 3 has no portrait after it."""
    rows = _rows(3)
    m = _run([("card", 1, None), ("face", "A"), ("face", "B"), ("card", 2, "B"), ("card", 3, None)], rows)
    w = _who(m, rows)
    assert w["1"] == ("ok", "card", ["F01.jpg"]) and w["2"] == ("ok", "card", ["F02.jpg"])
    assert any("also appears after another card" in i.en for i in m.issues)
    assert w["3"][0] == "missing"


def test_live_shoot_frame_by_frame_never_gives_a_frame_a_row_it_loses_later():
    """photocheck watch sees the shoot grow: at every point a frame's row is the one it has at the
    end, and only the rows after the last card wait."""
    rows = _rows(6)
    seq = [("card", 1, "A"), ("face", "A"), ("card", 3, None), ("face", "C"), ("card", 2, "B"), ("face", "B"),
           ("face", "H"), ("card", 4, None), ("card", 5, None), ("face", "E"), ("face", "E")]

    def run(items, open_end):
        return _run(items, rows, open_end=open_end)

    final = _who(run(seq, False), rows)
    assert [final[s][:2] for s in "12345"] == [("ok", "card")] * 3 + [("missing", "")] + [("ok", "card")]
    for n in range(1, len(seq) + 1):
        w = _who(run(seq[:n], True), rows)
        for shot, (_, _, files) in w.items():
            if files:
                assert set(files) <= set(final[shot][2] or []), (n, shot, files)
        assert w["6"][0] == "missing" and w["6"][1] in ("later", "")  # never reached: waits, not reported


@pytest.mark.faces
def test_watch_shows_slates_and_gives_the_next_frames_to_the_card(card_shoot, tmp_path):
    """photocheck watch runs the same code: cards played into the folder one by one."""
    import shutil

    from test_watch import frame, judged, wait_for  # tests/ is on the path (conftest)

    from photocheck.batch.runner import prepare
    from photocheck.watch.live import LiveBatch, Options

    d, truth, _ = card_shoot
    names = list(truth)[:5]  # card 1 (held), student 1, card 2 (alone), student 2 twice
    shots = tmp_path / "shots"
    shots.mkdir()
    live = LiveBatch(prepare(shots, d / "shots.csv", tmp_path / "out"), Options(settle=0.5, timeout=2.5, rescan=0.5))
    live.start()
    try:
        for n in names:
            shutil.copy(d / "shots" / n, shots / n)
        st = wait_for(live, judged(*names), timeout=300)
        for n in names:
            kind, shot = truth[n]
            f = frame(st, n)
            if kind.startswith("card"):
                assert f["status"] == "slate", f
            else:
                assert f["status"] in ("used", "retake") and f["shot_no"] == str(shot), f
        rows = {s["shot_no"]: s for s in st["students"] if s["shot_no"]}
        assert rows["1"]["matched_by"] == rows["2"]["matched_by"] == "card"
        for k in ("3", "4", "5", "6"):  # not reached yet: waiting, nothing reported
            assert not [f for f in rows[k]["findings"] if f["rule"] == "batch.missing"], rows[k]
    finally:
        live.stop()


def test_code_seen_but_not_read_is_no_slate_but_fails_a_photo_that_would_show_it(monkeypatch):
    from photocheck.batch.assemble import _shows_code
    from photocheck.cards import reader

    quad = np.array([[600, 700], [700, 700], [700, 800], [600, 800]], float)
    monkeypatch.setattr(reader, "_aruco_read", lambda g: ([], [quad * g.shape[1] / 1500]))
    monkeypatch.setattr(reader, "_wechat_read", lambda g: [])
    reads = reader.read_codes(np.zeros((1000, 1500, 3), np.uint8))
    assert [(r.text, r.stage) for r in reads] == [("", "unread")]
    rows = _rows(1)
    recs = [{"rel": "x.jpg", "embedding": None, "card": [{"text": "", "box": [0.4, 0.7, 0.47, 0.8], "in_crop": True}]}]
    assert find_slates(recs, [None], {"x.jpg": 0}, rows) == {}  # not a slate: nothing was read
    findings: list[dict] = []
    assert _shows_code(recs[0], findings, zh=False) and findings[0]["rule"] == "batch.card"
    assert not _shows_code({"card": [{"text": "", "in_crop": False}]}, [], zh=False)
