"""The session rules (issue 24) on a small studio session of real London faces: camera files made
by tests/support/session_frames.py (the student relit by the session's key and fill, a lit
backdrop, the camera's white balance and tone curve, sensor noise), three of them with a fault
planted in linear light: the flash a stop down, the white balance 500 K warm, the fill light off.
The batch must flag each with the rule that names its cause, leave the clean frames of dark- and
light-skinned students alone, judge nothing below the minimum session size, and leave `check`
(one photo, no session) as it was."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from photocheck.batch import run_batch
from photocheck.batch.runner import load_settings
from photocheck.check import check
from photocheck.rules import REGISTRY
from support.compose import faces_available, london, london_info

pytestmark = pytest.mark.skipif(not faces_available(), reason="../shared/faces is missing")

CLEAN = ("006", "025", "036", "037", "042", "045", "062", "087", "099")  # 4 Black, 3 East Asian, 2 West Asian
FAULTS = {"005": ("exposure", 1.0), "034": ("warmer", 500.0), "067": ("fill_off", 0.0)}
FAST = load_settings()
FAST["output"]["verify_upload"] = False  # the upload re-check is tested in test_batch.py


def _write_session(root: Path, ids: list[str]) -> tuple[Path, Path]:
    from support import session_frames as S

    shots = root / "shots"
    shots.mkdir(parents=True)
    rows = []
    for n, fid in enumerate(ids, 1):
        kind, strength = FAULTS.get(fid, ("clean", 0.0))
        setup = S.LONDON if kind == "clean" else S.FAULTS[kind](S.LONDON, strength)
        (shots / f"{n:03d}.jpg").write_bytes(S.frame(str(london(fid)), setup, seed=n, base=S.LONDON))
        rows.append({"shot_no": str(n), "student_id": f"2026{fid}", "name": f"student {fid}"})
    log = root / "shots.csv"
    with open(log, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["shot_no", "student_id", "name"])
        w.writeheader()
        w.writerows(rows)
    return shots, log


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    root = tmp_path_factory.mktemp("session")
    ids = sorted(CLEAN + tuple(FAULTS))
    shots, log = _write_session(root, ids)
    res = run_batch(shots, log, root / "out", workers=1, progress=False, lang="en", settings=FAST)
    return root, shots, res, {s["student_id"][4:]: s for s in res.students if s["student_id"]}


def _session_findings(student: dict) -> dict[str, dict]:
    return {f["rule"]: f for f in student["findings"] if f["rule"].startswith("session.")}


def test_flash_a_stop_down_is_flagged_as_exposure_naming_the_flash(session):
    found = _session_findings(session[3]["005"])
    assert "session.exposure" in found, session[3]["005"]["findings"]
    f = found["session.exposure"]
    assert f["value"]["backdrop_stops"] < -0.7
    assert "darker" in f["message"] and "flash" in f["message"]


def test_white_balance_500K_warm_is_flagged_as_colour_in_kelvin(session):
    found = _session_findings(session[3]["034"])
    assert "session.color" in found, session[3]["034"]["findings"]
    f = found["session.color"]
    assert 300 <= f["value"]["kelvin"] <= 750
    assert "warmer" in f["message"] and "white balance" in f["message"]


def test_fill_light_off_is_flagged_as_light_naming_the_fill(session):
    found = _session_findings(session[3]["067"])
    assert "session.light" in found, session[3]["067"]["findings"]
    assert "fill light" in found["session.light"]["message"]


def test_clean_frames_of_dark_and_light_skinned_students_are_not_flagged(session):
    info = london_info()
    flagged = {fid: _session_findings(session[3][fid]) for fid in CLEAN}
    assert {info[f]["face_eth"] for f in CLEAN} >= {"black", "east_asian", "west_asian"}
    assert not any(flagged.values()), {f: list(v) for f, v in flagged.items() if v}


def test_a_session_below_the_minimum_judges_nothing_and_says_so(session, tmp_path):
    root, shots, res, _ = session
    small = tmp_path / "shots"
    small.mkdir()
    for n in range(1, 7):  # six frames, the flash fault among them: too few to judge
        shutil.copy(shots / f"{n:03d}.jpg", small / f"{n:03d}.jpg")
    log = tmp_path / "shots.csv"
    lines = (root / "shots.csv").read_text(encoding="utf-8").splitlines()[:7]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    shutil.copytree(Path(res.out_dir) / ".photocheck", out / ".photocheck")  # the analyses, not redone
    small_res = run_batch(small, log, out, workers=1, progress=False, lang="en", settings=FAST)
    assert not any(_session_findings(s) for s in small_res.students)
    assert any("session rules" in n and "not judged" in n for n in small_res.report["notes"]), small_res.report["notes"]


def test_check_of_one_photo_has_no_session_rules(session):
    shots = session[1]
    rep = check(shots / "001.jpg", profile="original")
    assert not any(f.rule.startswith("session.") for f in rep.findings)
    assert not any(r.startswith("session.") for r in REGISTRY)


def test_each_top_level_folder_is_its_own_session(session, tmp_path):
    """Two cameras' cards in two folders are two sessions: split 6 + 6, neither reaches the minimum,
    so the flash fault is not judged against the other camera's frames."""
    root, shots, res, _ = session
    split = tmp_path / "shots"
    for n in range(1, 13):
        sub = split / ("cardA" if n <= 6 else "cardB")
        sub.mkdir(parents=True, exist_ok=True)
        shutil.copy(shots / f"{n:03d}.jpg", sub / f"{n:03d}.jpg")
    out = tmp_path / "out"
    shutil.copytree(Path(res.out_dir) / ".photocheck", out / ".photocheck")
    split_res = run_batch(split, root / "shots.csv", out, workers=1, progress=False, lang="en", settings=FAST)
    assert not any(_session_findings(s) for s in split_res.students)
    notes = [n for n in split_res.report["notes"] if "session rules" in n]
    assert any("cardA" in n for n in notes) and any("cardB" in n for n in notes), notes
