// The operator page of `photocheck watch`: shows what /api/state says, re-fetched on every
// server-sent event from /api/events (and every few seconds as a safety net). No inline script
// (CSP), nothing loaded from outside (offline). Data is written with textContent only.
//
// The one rule that matters most: a verdict is only ever shown together with the student the
// server assigned to that frame (state.current holds both); nothing here guesses a student.
"use strict";

(function () {
  var TEXT = {
    zh: {
      waiting: "等待照片…", unmatched: "未匹配到学生", noName: "（无姓名）",
      word: { ok: "OK", retake: "重拍", check: "请核对" },
      hint: { ok: "合格，请下一位", retake: "请马上重拍：", check: "请核对这张照片：" },
      more: function (n) { return "……另有 " + n + " 条"; },
      checking: function (n) { return "正在检查 " + n + " 张新照片…"; },
      done: "全部学生已拍完", noNext: "—",
      caption: function (file, t) { return file + (t ? " · " + t : ""); },
      folder: function (d) { return "照片文件夹：" + d; },
      strip: { ok: "OK", retake: "重拍", check: "核对" },
      unreadable: "文件无法读取",
      // the card (or the phone's 采集码) just photographed: the student now on the stool
      slateWord: "请拍摄",
      slate: function (cur) {
        var who = (cur.name || "") + (cur.student_id ? "（" + cur.student_id + "）" : " ");
        return (cur.code === "phone" ? "采集码（拍摄号 " + cur.shot_no + "）" : "拍摄号卡 " + cur.shot_no) + "：" + who + "— 请拍摄";
      },
      badCard: function (no) { return no ? "拍摄号卡 " + no + "：不能对应学生" : "拍摄号卡：不能对应学生"; }
    },
    en: {
      waiting: "Waiting for a photo…", unmatched: "No student matched", noName: "(no name)",
      word: { ok: "OK", retake: "Retake", check: "Check" },
      hint: { ok: "Passes — next student", retake: "Retake now:", check: "Look at this frame:" },
      more: function (n) { return "… and " + n + " more"; },
      checking: function (n) { return "Checking " + n + " new photo" + (n === 1 ? "" : "s") + "…"; },
      done: "Every student is photographed", noNext: "—",
      caption: function (file, t) { return file + (t ? " · " + t : ""); },
      folder: function (d) { return "Shots folder: " + d; },
      strip: { ok: "OK", retake: "Retake", check: "Check" },
      unreadable: "File cannot be read",
      slateWord: "Take the photo",
      slate: function (cur) {
        var who = (cur.name || cur.student_id || "") + (cur.name && cur.student_id ? " (" + cur.student_id + ")" : "");
        return (cur.code === "phone" ? "code read (shot " + cur.shot_no + ")" : "card " + cur.shot_no + " read") + ": " + who + " — take the photo";
      },
      badCard: function (no) { return no ? "card " + no + ": no student of this shoot" : "card: no student of this shoot"; }
    }
  };
  var VERDICTS = { ok: 1, retake: 1, check: 1 };
  var FRAME_STATUSES = { used: 1, retake: 1, unmatched: 1, unreadable: 1 };
  var MAX_REASONS = 4;
  var STRIP_LEN = 12;
  var POLL_MS = 5000;

  var $ = function (id) { return document.getElementById(id); };
  var langOverride = null;
  try { langOverride = localStorage.getItem("photocheck-watch-lang"); } catch (e) { /* private mode */ }
  var lastState = null;
  var fetching = false, again = false;
  var source = null, retryMs = 1000, reconnectTimer = null;

  function uiLang(state) {
    var l = langOverride || (state && state.lang) || "zh";
    return l === "en" ? "en" : "zh";
  }

  function setConn(s) { document.body.setAttribute("data-conn", s); }

  function text(el, s) { el.textContent = s == null ? "" : String(s); }

  // the student a log row's status means for the page (the server's own mapping for `current`)
  function studentVerdict(status) {
    if (status === "ok") return "ok";
    if (status === "failed") return "retake";
    return "check";
  }

  function clockTime(iso) {
    if (!iso) return "";
    var m = /T(\d\d:\d\d:\d\d)/.exec(iso);
    return m ? m[1] : "";
  }

  // -- the big panel: the latest judged frame's student and verdict ---------------------------
  function renderCurrent(state, T) {
    var cur = state.current;
    var frames = state.frames || [];
    var frame = null;
    if (cur) {
      for (var i = 0; i < frames.length; i++) if (frames[i].id === cur.frame_id) { frame = frames[i]; break; }
    }
    // a frame the server says belongs to another student than `current`: never mix the two
    var consistent = !cur || !frame || frame.shot_no == null || cur.shot_no == null || frame.shot_no === cur.shot_no;
    // a card that names a student: no verdict yet, that student is to be photographed now
    var slate = !!cur && cur.kind === "slate" && cur.shot_no != null && cur.verdict == null;
    var waiting = !cur || (!slate && !VERDICTS[cur.verdict]) || !consistent;
    var v = waiting ? "none" : slate ? "slate" : cur.verdict;
    document.body.setAttribute("data-verdict", v);
    $("verdict").setAttribute("data-verdict", v);
    var reasons = $("reasons");
    reasons.textContent = "";
    if (waiting) {
      text($("shot-no"), "—");
      text($("name"), T.waiting);
      text($("student-id"), "");
      text($("verdict-word"), "");
      text($("verdict-hint"), "");
      setThumb(null, null, "");
      if (!consistent) refreshSoon();
      return;
    }
    if (slate) {
      text($("shot-no"), cur.shot_no);
      text($("name"), cur.name || T.noName);
      text($("student-id"), cur.student_id || "");
      text($("verdict-word"), T.slateWord);
      text($("verdict-hint"), T.slate(cur));
      setThumb(frame && frame.thumb ? frame.thumb : null, cur.frame_id,
               frame ? T.caption(frame.file, clockTime(frame.judged_at)) : "");
      return;
    }
    if (cur.shot_no == null) {
      text($("shot-no"), "?");
      text($("name"), cur.kind === "slate" ? T.badCard(cur.card_no) :
                      frame && frame.status === "unreadable" ? T.unreadable : T.unmatched);
      text($("student-id"), "");
    } else {
      text($("shot-no"), cur.shot_no);
      text($("name"), cur.name || T.noName);
      text($("student-id"), cur.student_id || "");
    }
    text($("verdict-word"), T.word[v]);
    text($("verdict-hint"), T.hint[v]);
    var list = (cur.reasons || []).filter(function (r) { return r && (r.message || r.rule); });
    if (v !== "ok") {
      list.slice(0, MAX_REASONS).forEach(function (r) {
        var li = document.createElement("li");
        li.className = r.status === "warn" ? "warn" : "fail";
        li.textContent = r.message || r.rule;
        reasons.appendChild(li);
      });
      if (list.length > MAX_REASONS) {
        var li = document.createElement("li");
        li.className = "more";
        li.textContent = T.more(list.length - MAX_REASONS);
        reasons.appendChild(li);
      }
    }
    setThumb(frame && frame.thumb ? frame.thumb : null, cur.frame_id,
             frame ? T.caption(frame.file, clockTime(frame.judged_at)) : "");
  }

  // The thumbnail of exactly the frame shown: hidden until the new one has loaded, so the
  // previous student's photo never stands beside this student's verdict.
  function setThumb(url, frameId, caption) {
    var img = $("thumb");
    text($("thumb-caption"), url ? caption : "");
    if (!url) {
      img.hidden = true;
      img.removeAttribute("src");
      img.removeAttribute("data-frame");
      return;
    }
    if (img.getAttribute("data-src") === url && !img.hidden) return;
    img.hidden = true;
    img.setAttribute("data-frame", frameId);
    img.setAttribute("data-src", url);
    img.onload = function () { if (img.getAttribute("data-src") === url) img.hidden = false; };
    img.onerror = function () { img.hidden = true; };
    img.src = url;
  }

  function renderCheckingNote(state, T) {
    var n = (state.counts && state.counts.pending) || 0;
    $("checking").hidden = n <= 0;
    text($("checking-text"), n > 0 ? T.checking(n) : "");
  }

  function renderNext(state, T) {
    var nx = state.next;
    if (nx) {
      text($("next-shot"), "№ " + nx.shot_no);
      text($("next-name"), nx.name || nx.student_id || "");
    } else {
      var done = state.counts && state.counts.missing === 0 && state.counts.photographed > 0;
      text($("next-shot"), done ? "" : T.noNext);
      text($("next-name"), done ? T.done : "");
    }
  }

  function renderCounts(state) {
    var c = state.counts || {};
    ["photographed", "ok", "retake", "check", "missing"].forEach(function (k) {
      text($("n-" + k), typeof c[k] === "number" ? c[k] : 0);
    });
  }

  // Recent students, newest first: one chip per student (their status now, from the report's
  // student list), and one per frame no student was assigned to.
  function renderStrip(state, T) {
    var strip = $("strip");
    var byShot = {};
    (state.students || []).forEach(function (s) { if (s.shot_no != null) byShot[s.shot_no] = s; });
    var seen = {}, items = [];
    var frames = state.frames || [];
    for (var i = 0; i < frames.length && items.length < STRIP_LEN; i++) {
      var f = frames[i];
      if (!FRAME_STATUSES[f.status] || !VERDICTS[f.verdict]) continue;
      var key = f.shot_no != null ? "s:" + f.shot_no : "f:" + f.id;
      if (seen[key]) continue;
      seen[key] = 1;
      var s = f.shot_no != null ? byShot[f.shot_no] : null;
      items.push({
        shot: f.shot_no != null ? f.shot_no : "?",
        name: f.shot_no != null ? (f.name || (s && s.name) || "") : (f.status === "unreadable" ? T.unreadable : T.unmatched),
        verdict: s ? studentVerdict(s.status) : f.verdict,
        current: state.current && (state.current.frame_id === f.id ||
                 (f.shot_no != null && state.current.shot_no === f.shot_no))
      });
    }
    strip.textContent = "";
    items.forEach(function (it) {
      var li = document.createElement("li");
      li.className = "chip v-" + it.verdict + (it.current ? " is-current" : "");
      var a = document.createElement("span"); a.className = "chip-shot"; a.textContent = it.shot;
      var b = document.createElement("span"); b.className = "chip-name"; b.textContent = it.name;
      var c = document.createElement("span"); c.className = "chip-verdict"; c.textContent = T.strip[it.verdict];
      li.appendChild(a); li.appendChild(b); li.appendChild(c);
      strip.appendChild(li);
    });
  }

  function render(state) {
    lastState = state;
    var L = uiLang(state), T = TEXT[L];
    document.documentElement.setAttribute("data-lang", L);
    document.documentElement.lang = L === "zh" ? "zh-CN" : "en";
    document.body.setAttribute("data-version", String(state.version));
    renderCurrent(state, T);
    renderCheckingNote(state, T);
    renderNext(state, T);
    renderCounts(state);
    renderStrip(state, T);
    text($("folder"), state.shots_dir ? T.folder(state.shots_dir) : "");
  }

  // -- fetching: one request at a time; an event during a request fetches again after it ------
  function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    fetch("/api/state", { cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (state) {
        if (source && source.readyState === 1) setConn("live");
        render(state);
      })
      .catch(function () { setConn("lost"); })
      .then(function () {
        fetching = false;
        if (again) { again = false; refresh(); }
      });
  }

  var soon = null;
  function refreshSoon() {
    if (soon) return;
    soon = setTimeout(function () { soon = null; refresh(); }, 300);
  }

  function connect() {
    if (reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = null; }
    if (source) source.close();
    if (typeof EventSource === "undefined") { setConn("lost"); return; }
    source = new EventSource("/api/events");
    source.addEventListener("open", function () {
      retryMs = 1000;
      setConn("live");
      refresh(); // whatever happened while the stream was down
    });
    source.addEventListener("state", function () { refresh(); });
    source.addEventListener("error", function () {
      setConn("lost");
      // the browser retries by itself while CONNECTING; once CLOSED (a 503, the server gone
      // for good) it gives up, so start again with a growing pause
      if (source.readyState === 2) {
        source.close();
        reconnectTimer = setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 10000);
      }
    });
  }

  $("lang").addEventListener("click", function () {
    var next = uiLang(lastState) === "zh" ? "en" : "zh";
    langOverride = next;
    try { localStorage.setItem("photocheck-watch-lang", next); } catch (e) { /* private mode */ }
    if (lastState) render(lastState); else document.documentElement.setAttribute("data-lang", next);
  });

  document.documentElement.setAttribute("data-lang", uiLang(null));
  text($("name"), TEXT[uiLang(null)].waiting);
  connect();
  refresh();
  setInterval(refresh, POLL_MS); // safety net for a lost event
})();
