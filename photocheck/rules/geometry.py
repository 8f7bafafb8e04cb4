"""Framing rules, measured in the 480×640 frame: face count, head top, eye line, face width,
centring and roll. For a camera original the frame is the best compliant crop, so a failure here
means no compliant crop exists (e.g. no margin above the head)."""

from __future__ import annotations

import math

from . import Analysis, Limit, Measurement, rule


@rule("face.count", needs_face=False,
      title=("只有一张人脸", "Exactly one face"),
      messages={
          "low": ("照片中没有检测到人脸。请正面拍摄，脸部清晰完整。", "no face found. Take a frontal photo with the whole face clearly visible."),
          "high": ("照片中有 {value} 张人脸。照片里只能有本人一人。", "{value} faces found. Only the student may be in the photo."),
      })
def face_count(a: Analysis, lim: Limit) -> Measurement:
    boxes = tuple(("rect", tuple(float(v) for v in a.frame_map.box_to_frame(d[:4]))) for d in a.detections[1:])
    return Measurement(a.face_count, regions=boxes)


@rule("geometry.head_top",
      title=("头顶距上边缘 {min}–{max} 像素", "Head top {min}–{max} px from the top edge"),
      messages={
          "low": ("头顶（含头发）距照片上边缘只有 {value} 像素，应为 {min}–{max}。头部太靠上，或拍摄时头顶上方留白不足。", "the top of the head (hair included) is only {value} px from the top edge; it must be {min}–{max}. The head is too high, or there was too little room above the head."),
          "high": ("头顶距照片上边缘 {value} 像素，超过 {max}。头部太靠下或人像太小，请重新取景。", "the top of the head is {value} px from the top edge, over {max}: the head is too low or too small. Reframe the photo."),
      })
def head_top(a: Analysis, lim: Limit) -> Measurement:
    v = a.head_top
    if math.isnan(v):
        return Measurement(None, status="fail", side="low")
    return Measurement(round(v, 1), regions=(("hline", (v, lim.min, lim.max)),))


@rule("geometry.eye_line",
      title=("双眼瞳孔距上边缘 {min}–{max} 像素", "Eye line {min}–{max} px from the top edge"),
      messages={
          "low": ("双眼瞳孔连线距上边缘 {value} 像素，小于 {min}：人像太靠上。", "the eye line is {value} px from the top edge, under {min}: the head is too high in the frame."),
          "high": ("双眼瞳孔连线距上边缘 {value} 像素，大于 {max}：人像太靠下。", "the eye line is {value} px from the top edge, over {max}: the head is too low in the frame."),
      })
def eye_line(a: Analysis, lim: Limit) -> Measurement:
    v = a.eye_y
    return Measurement(round(v, 1), regions=(("hline", (v, lim.min, lim.max)), ("points", a.pupils.tolist())))


@rule("geometry.face_width",
      title=("脸宽（两颊之间）{min}–{max} 像素", "Face width (cheek to cheek) {min}–{max} px"),
      messages={
          "low": ("脸宽只有 {value} 像素，小于 {min}：人像太小，请靠近一些或裁得更紧。", "the face is only {value} px wide, under {min}: too small. Move closer or crop tighter."),
          "high": ("脸宽 {value} 像素，大于 {max}：人像太大，请离远一些或多留边。", "the face is {value} px wide, over {max}: too large. Step back or leave more margin."),
      })
def face_width(a: Analysis, lim: Limit) -> Measurement:
    p = a.face.points
    from .. import landmarks as L
    r, l = p[L.RIGHT_CHEEK_EDGE, :2], p[L.LEFT_CHEEK_EDGE, :2]
    return Measurement(round(a.face_width, 1), regions=(("segment", (r.tolist(), l.tolist())),))


@rule("geometry.centered",
      title=("人像左右居中", "Face centred horizontally"),
      messages={
          "high": ("人脸中心偏离照片中线 {value}%（{px} 像素，偏{dir}）。请让人像居中。", "the face centre is {value}% of the width ({px} px) off the middle, to the {dir_en}. Centre the face."),
      })
def centered(a: Analysis, lim: Limit) -> Measurement:
    w = a.frame_size[0]
    off = a.face_cx - w / 2
    return Measurement(round(abs(off) / w * 100, 2),
                       fmt={"px": round(abs(off)), "dir": "左" if off < 0 else "右", "dir_en": "left" if off < 0 else "right"},
                       regions=(("vline", (a.face_cx, w / 2)),))


@rule("pose.roll",
      title=("头部端正（不歪头）", "Head level (no tilt)"),
      messages={"high": ("头部倾斜 {value}°（双眼不在同一水平线上）。请坐正，头部保持水平。", "the head is tilted {value}° (the eyes are not level). Sit upright and keep the head level.")})
def roll(a: Analysis, lim: Limit) -> Measurement:
    (x0, y0), (x1, y1) = a.pupils
    ang = math.degrees(math.atan2(y1 - y0, x1 - x0))
    return Measurement(round(abs(ang), 2), regions=(("segment", (a.pupils[0].tolist(), a.pupils[1].tolist())),))
