"""The session rules: each frame against the baseline of the session's other frames.

The baseline of a camera (EXIF make, model and serial) in a top-level folder is the median of
the session measures (:mod:`photocheck.batch.session`) over its frames that pass every
single-photo rule, leaving out the frame being judged (a fault does not hide in its own
baseline). A difference is flagged when it is larger than the limit in ``settings.toml``
``[session]`` *and* than ``spread_k`` robust standard deviations (1.4826 × MAD) of the session,
so a session whose lights or camera wander anyway is not flagged frame after frame. With fewer
than ``min_frames`` other passing frames nothing is judged, and the report's notes say so.

Rules (ids as the single-photo rules', warn or fail):

* ``session.exposure`` — the backdrop and the face darker or brighter together (the flash, the
  camera's aperture, shutter or ISO), or the face alone (the light on the student);
* ``session.backdrop`` — the backdrop alone darker or brighter (the backdrop light), or its
  fall-off changed;
* ``session.light`` — the light's slope across the student's own face changed (the fill light
  off, weaker or moved): :func:`photocheck.batch.session.light_slope`;
* ``session.color`` — the backdrop's colour moved along the blackbody line (the white balance).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .session import white_balance_shift

RULES = ("session.exposure", "session.backdrop", "session.light", "session.color")


@dataclass
class Frame:
    """One analysed file as the session rules see it: its name, whether it passes every
    single-photo rule (only those make the baseline) and its session measures."""

    rel: str
    ok: bool
    measures: dict | None
    group: str = field(default="")


def group_of(rel: str, measures: dict | None) -> str:
    """The baseline a frame belongs to: its top-level sub-folder of SHOTS_DIR and its camera.

    >>> group_of("cardA/DSC_1.JPG", {"camera": "Canon EOS R6 #123"})
    'cardA · Canon EOS R6 #123'
    """
    parts = rel.replace("\\", "/").split("/")
    folder = parts[0] if len(parts) > 1 else ""
    cam = (measures or {}).get("camera") or ""
    return " · ".join(p for p in (folder, cam) if p)


def _get(m: dict | None, part: str, key: str) -> float | None:
    v = ((m or {}).get(part) or {}).get(key)
    return None if v is None else float(v)


def _stats(values: list[float]) -> tuple[float, float] | None:
    if not values:
        return None
    v = np.asarray(values, np.float64)
    med = float(np.median(v))
    return med, 1.4826 * float(np.median(np.abs(v - med)))


def _level(diff: float, warn: float, fail: float, spread: float, k: float) -> str | None:
    """warn / fail / None for a difference ``diff`` against the limits, each raised to ``k`` × the
    session's spread (a wandering session needs a larger difference)."""
    d = abs(diff)
    if d >= max(fail, k * spread):
        return "fail"
    if d >= max(warn, k * spread):
        return "warn"
    return None


def _finding(rule: str, status: str, value: dict, limit: str, zh: str, en: str) -> dict:
    return {"rule": rule, "status": status, "value": value, "limit": limit, "message": zh, "message_en": en}


def _stops(x: float) -> str:
    return f"{abs(x):.1f}"


def judge_frame(m: dict, others: list[dict], cfg: dict) -> list[dict]:
    """The session findings of one frame's measures ``m`` against the measures of the other passing
    frames of its session (``others``, at least ``min_frames``). Findings carry the message in
    Chinese (``message``) and English (``message_en``)."""
    k = float(cfg["spread_k"])
    out: list[dict] = []

    def delta(part, key):
        own = _get(m, part, key)
        st = _stats([v for v in (_get(o, part, key) for o in others) if v is not None])
        return (None, 0.0) if own is None or st is None or len(others) == 0 else (own - st[0], st[1])

    dbg, s_bg = delta("backdrop", "stops")
    dface, s_face = delta("face", "white")
    # -- exposure and the backdrop light -------------------------------------------------
    bg_level = None if dbg is None else _level(dbg, cfg["exposure_warn"], cfg["exposure_fail"], s_bg, k)
    if bg_level:
        # Did the face follow the backdrop? The eye whites differ between people by about a third
        # of a stop (sd), so only a clear answer names one cause; in between, both are named.
        follows = None if dface is None else dface * np.sign(dbg) / abs(dbg)
        word_zh, word_en = ("暗", "darker") if dbg < 0 else ("亮", "brighter")
        val = {"backdrop_stops": round(dbg, 2), "face_stops": None if dface is None else round(dface, 2)}
        if follows is not None and follows <= cfg["face_stays"]:
            lvl = _level(dbg, cfg["backdrop_warn"], cfg["backdrop_fail"], s_bg, k) or "warn"
            zh = f"背景比本场其他照片{word_zh} {_stops(dbg)} 档，脸部亮度正常——请检查背景灯。"
            en = f"the backdrop is {_stops(dbg)} stops {word_en} than in this session's other photos while the face is not — check the backdrop light."
            out.append(_finding("session.backdrop", lvl, val, f"±{cfg['backdrop_warn']} stops", zh, en))
        else:
            flash_zh, flash_en = ("闪光灯是否触发", "that the flash fired") if dbg < 0 else ("闪光灯功率", "the flash power")
            if follows is None or follows >= cfg["face_follows"]:
                zh = f"比本场其他照片{word_zh} {_stops(dbg)} 档（背景和脸部一起）——请检查{flash_zh}，以及相机的光圈、快门和 ISO。"
                en = (f"{_stops(dbg)} stops {word_en} than this session's other photos (backdrop and face alike) — check "
                      f"{flash_en}, and the camera's aperture, shutter speed and ISO.")
            else:  # the face moved part of the way: the flash, or the backdrop light
                zh = (f"背景比本场其他照片{word_zh} {_stops(dbg)} 档，脸部{word_zh}约 {_stops(dface)} 档——请检查{flash_zh}、"
                      "相机的光圈、快门和 ISO，以及背景灯。")
                en = (f"the backdrop is {_stops(dbg)} stops {word_en} than in this session's other photos, the face about "
                      f"{_stops(dface)} — check {flash_en}, the camera's aperture, shutter speed and ISO, and the backdrop light.")
            out.append(_finding("session.exposure", bg_level, val, f"±{cfg['exposure_warn']} stops", zh, en))
    elif dface is not None:
        lvl = _level(dface, cfg["face_warn"], cfg["face_fail"], s_face, k)
        if lvl:
            word_zh, word_en = ("暗", "darker") if dface < 0 else ("亮", "brighter")
            val = {"face_stops": round(dface, 2), "backdrop_stops": None if dbg is None else round(dbg, 2)}
            zh = f"脸部比本场其他照片{word_zh}约 {_stops(dface)} 档，背景正常——请检查照在学生身上的主灯（是否触发、是否移动）。"
            en = (f"the face is about {_stops(dface)} stops {word_en} than in this session's other photos, the backdrop is "
                  "not — check the main light on the student (did it fire, was it moved).")
            out.append(_finding("session.exposure", lvl, val, f"±{cfg['face_warn']} stops", zh, en))
    if not any(f["rule"] == "session.backdrop" for f in out):
        for key, zh_dir, en_dir in (("tb", "上下", "top to bottom"), ("lr", "左右", "side to side")):
            d, s = delta("backdrop", key)
            lvl = None if d is None else _level(d, cfg["falloff_warn"], cfg["falloff_fail"], s, k)
            if lvl:
                zh = f"背景{zh_dir}明暗与本场其他照片相差 {_stops(d)} 档——请检查背景灯的位置和朝向。"
                en = f"the backdrop's light from {en_dir} differs by {_stops(d)} stops from this session's other photos — check the backdrop light's position."
                out.append(_finding("session.backdrop", lvl, {f"falloff_{key}_stops": round(d, 2)},
                                    f"±{cfg['falloff_warn']} stops", zh, en))
                break
    # -- the fill light: the student's own left/right ratio ----------------------------------
    dside, s_side = delta("face", "slope")  # positive: the image-left side got relatively more light
    if dside is not None:
        lvl = _level(dside, cfg["light_warn"], cfg["light_fail"], s_side, k)
        if lvl:
            side_zh, side_en = ("画面右侧", "image-right") if dside > 0 else ("画面左侧", "image-left")
            zh = f"脸的{side_zh}比本场其他照片暗 {_stops(dside)} 档——请检查辅助灯（补光灯）是否打开、是否移动。"
            en = f"the {side_en} side of the face is {_stops(dside)} stops darker than in this session's other photos — check the fill light."
            out.append(_finding("session.light", lvl, {"side_stops": round(dside, 2)}, f"±{cfg['light_warn']} stops", zh, en))
    # -- white balance: the backdrop's colour along the blackbody line -----------------------
    own = (m.get("backdrop") or {})
    base = [o["backdrop"] for o in others if o.get("backdrop")]
    if own and base:
        clip_max = float(cfg["clip_max"])
        usable = (np.asarray(own["clip"]) <= clip_max) & (np.median([b["clip"] for b in base], axis=0) <= clip_max)
        base_rgb = 2.0 ** np.median([b["rgb"] for b in base], axis=0)
        shift = white_balance_shift(base_rgb, 2.0 ** np.asarray(own["rgb"]), usable)
        if shift is not None:
            spreads = [white_balance_shift(base_rgb, 2.0 ** np.asarray(b["rgb"]), usable) for b in base]
            st = _stats([s for s in spreads if s is not None])
            lvl = _level(shift, cfg["color_warn_k"], cfg["color_fail_k"], st[1] if st else 0.0, k)
            if lvl:
                kelvin = int(round(abs(shift) / 50) * 50)
                zh_dir, en_dir = ("偏暖（偏黄）", "warmer") if shift > 0 else ("偏冷（偏蓝）", "cooler")
                zh = f"颜色比本场其他照片{zh_dir}约 {kelvin} K——请检查相机白平衡。"
                en = f"colour {kelvin} K {en_dir} than this session's other photos — check the white balance."
                out.append(_finding("session.color", lvl, {"kelvin": round(shift)}, f"±{cfg['color_warn_k']} K", zh, en))
    return out


def session_words(findings: list[dict], lang: str) -> list[dict]:
    """Session findings in the shape of ``photocheck check --json``'s, worded in ``lang``."""
    return [{"rule": f["rule"], "status": f["status"], "value": f["value"], "limit": f["limit"],
             "message": f["message"] if lang == "zh" else f["message_en"]} for f in findings]


def judge_session(frames: list[Frame], cfg: dict) -> tuple[dict[str, list[dict]], list[tuple[str, str]]]:
    """Session findings per frame name, and notes (Chinese, English) on the sessions too small to
    judge. ``cfg``: the ``[session]`` table of the batch settings."""
    by_group: dict[str, list[Frame]] = {}
    for f in frames:
        f.group = group_of(f.rel, f.measures)
        by_group.setdefault(f.group, []).append(f)
    out: dict[str, list[dict]] = {}
    notes: list[tuple[str, str]] = []
    need = int(cfg["min_frames"])
    for g, members in sorted(by_group.items()):
        base = [f for f in members if f.ok and f.measures]
        if len(base) <= need:  # every frame is judged against at least `need` others
            where = f"（{g}）" if g else ""
            zh = f"本场照片{where}只有 {len(base)} 张通过单张检查，少于 {need + 1} 张，未按本场其他照片比较曝光、灯光和颜色。"
            en = (f"session rules{f' ({g})' if g else ''}: only {len(base)} photos pass the single-photo rules, "
                  f"{need + 1} are needed to compare exposure, light and colour with the session; not judged.")
            notes.append((zh, en))
            continue
        for f in members:
            if not f.measures:
                continue
            others = [b.measures for b in base if b.rel != f.rel]
            found = judge_frame(f.measures, others, cfg)
            if found:
                out[f.rel] = found
    return out, notes
