// photocheck page: pick or drop a photo, send it to the photocheck server that served this page
// (POST /api/check, docs/api.md), show the answer. No external requests: same origin only.
"use strict";

const $ = (id) => document.getElementById(id);
const root = document.documentElement;
const MAX_BYTES = Number(root.dataset.maxBytes) || 25 * 1024 * 1024; // the server writes its own cap here
const LOCAL = root.dataset.host !== "server"; // a student's own computer, or a school's service
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const state = { photo: null, reference: null, busy: false, downloadUrl: null, thumbs: {} };

function both(zh, en) {
  const frag = document.createDocumentFragment();
  for (const [cls, text] of [["zh", zh], ["en", en]]) {
    const s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    frag.appendChild(s);
  }
  return frag;
}

// the spec's limit text ("≥ 0.3 (warn < 0.5)") in Chinese, as photocheck.spec.limit_words says it
function limitZh(text) {
  if (!text.includes("warn")) return text;
  text = text.replaceAll(" or ", " 或 ").replaceAll("shake ", "抖动 ");
  if (text.startsWith("warn ")) return "提醒范围 " + text.slice(5);
  return text.replace(" (warn ", "（提醒范围 ").replace(/\)$/, "") + "）";
}

function setLang(lang) {
  document.documentElement.dataset.lang = lang;
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  try { localStorage.setItem("photocheck-lang", lang); } catch (e) { /* private mode */ }
}

function setFile(kind, file) {
  state[kind] = file;
  const img = $(kind === "photo" ? "thumb-photo" : "thumb-ref");
  if (state.thumbs[kind]) URL.revokeObjectURL(state.thumbs[kind]);
  state.thumbs[kind] = file ? URL.createObjectURL(file) : null;
  img.hidden = !file;
  img.onerror = () => { img.hidden = true; }; // e.g. HEIC: the browser cannot show it, the server can read it
  if (file) img.src = state.thumbs[kind]; else img.removeAttribute("src");
  $(kind === "photo" ? "slot-photo" : "slot-ref").classList.toggle("filled", !!file);
  $("check").disabled = !state.photo || state.busy;
  $("clear-ref").hidden = !state.reference;
  if (state.photo) check();
}

function wireSlot(kind, slotId, inputId) {
  const slot = $(slotId), input = $(inputId);
  input.addEventListener("change", () => setFile(kind, input.files[0] || null));
  slot.addEventListener("dragover", (e) => { e.preventDefault(); slot.classList.add("over"); });
  slot.addEventListener("dragleave", () => slot.classList.remove("over"));
  slot.addEventListener("drop", (e) => {
    e.preventDefault();
    slot.classList.remove("over");
    const f = e.dataTransfer.files[0];
    if (f) setFile(kind, f);
  });
}

function showBusy(on) {
  state.busy = on;
  $("busy").hidden = !on;
  $("check").disabled = on || !state.photo;
}

// rule messages start in lower case (the CLI prefixes the file name); a list item starts a sentence
function sentence(s) { return s ? s.charAt(0).toUpperCase() + s.slice(1) : s; }

function fmtKB(n) { return (n / 1024).toFixed(0) + " KB"; }

function renderItems(listId, boxId, items, cls) {
  const list = $(listId);
  list.replaceChildren();
  for (const it of items) {
    const li = document.createElement("li");
    li.className = cls;
    li.dataset.rule = it.rule;
    const t = document.createElement("strong");
    t.appendChild(both(it.title.zh, it.title.en));
    const m = document.createElement("p");
    m.appendChild(both(it.message.zh, sentence(it.message.en)));
    const code = document.createElement("code");
    code.textContent = it.rule;
    li.append(t, " ", code, m);
    list.appendChild(li);
  }
  $(boxId).hidden = items.length === 0;
}

function valueText(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "object") return Object.entries(v).map(([k, x]) => k + "=" + valueText(x)).join(", ");
  return String(v);
}

function render(r) {
  $("result").hidden = false;
  const verdict = $("verdict");
  verdict.className = "verdict " + r.verdict;
  verdict.dataset.verdict = r.verdict;
  const icon = { pass: "✓ ", fixed: "✓ ", fail: "✗ ", error: "! " }[r.verdict] || "";
  $("verdict-head").replaceChildren(icon, both(r.headline.zh, r.headline.en));
  $("verdict-detail").replaceChildren(both(r.detail.zh, r.detail.en));

  const dl = $("download");
  if (state.downloadUrl) { URL.revokeObjectURL(state.downloadUrl); state.downloadUrl = null; }
  if (r.download) {
    const bytes = Uint8Array.from(atob(r.download.data), (c) => c.charCodeAt(0));
    state.downloadUrl = URL.createObjectURL(new Blob([bytes], { type: "image/jpeg" }));
    dl.href = state.downloadUrl;
    dl.download = r.download.name;
    $("download-size").textContent = "(" + r.download.name + ", " + fmtKB(r.download.bytes) + ")";
    dl.hidden = false;
  } else {
    dl.hidden = true;
    dl.removeAttribute("href");
  }

  renderItems("problems", "problems-box", r.problems || [], "problem");
  renderItems("warnings", "warnings-box", r.warnings || [], "warning");

  $("figure").hidden = !r.annotated;
  if (r.annotated) $("annotated").src = r.annotated;
  const m = r.measurements;
  $("measures").replaceChildren();
  if (m) {
    $("measures").append(document.createElement("br"),
      both(`头顶距上边 ${m.head_top} px（50–110）· 眼睛 ${m.eye_line} px（200–300）· 脸宽 ${m.face_width} px（180–300）`,
           `head top ${m.head_top} px (50–110) · eyes ${m.eye_line} px (200–300) · face width ${m.face_width} px (180–300)`));
  }

  const note = $("refnote");
  note.replaceChildren();
  if (r.references === "unreadable" && r.reference_error) {
    note.appendChild(both(r.reference_error.zh, r.reference_error.en));
  } else if (r.references === "checked") {
    note.appendChild(both("已与入学照片比对（结果见上面的问题和全部检查项）。", "Compared with the enrollment photo (see the problems and the full list)."));
  }
  note.hidden = !note.childNodes.length;

  const rows = r.rules || [];
  const tbody = document.querySelector("#all tbody");
  tbody.replaceChildren();
  for (const it of rows) {
    const tr = document.createElement("tr");
    tr.className = it.status;
    const icon = { pass: "✓", warn: "!", fail: "✗", error: "✗" }[it.status] || "–";
    const c1 = document.createElement("td"); c1.textContent = icon;
    const c2 = document.createElement("td"); c2.appendChild(both(it.title.zh, it.title.en));
    const c3 = document.createElement("td"); c3.textContent = valueText(it.value);
    const c4 = document.createElement("td"); c4.appendChild(both(limitZh(it.limit || ""), it.limit || ""));
    tr.append(c1, c2, c3, c4);
    tbody.appendChild(tr);
  }
  $("all-box").hidden = rows.length === 0;
  // nothing to fix: show what was checked (on a wide screen; on a phone it would be a long scroll)
  $("all-box").open = (r.problems || []).length === 0 && window.matchMedia("(min-width: 721px)").matches;
  verdict.scrollIntoView({ behavior: "smooth", block: "nearest" });
}

function localError(zh, en) {
  render({ verdict: "error", headline: { zh: "无法检查", en: "Cannot check" }, detail: { zh, en }, problems: [] });
}

async function check() {
  if (!state.photo) return;
  if (state.busy) { state.again = true; return; } // a slot changed while checking: check again after
  state.again = false;
  const total = state.photo.size + (state.reference ? state.reference.size : 0);
  if (total > MAX_BYTES) {
    const mb = +(MAX_BYTES / 1048576).toFixed(1);
    localError(`文件太大（${(total / 1048576).toFixed(1)} MB），最大 ${mb} MB。请上传照片原图，不要上传视频或压缩包。`,
               `The files are too large (${(total / 1048576).toFixed(1)} MB); the limit is ${mb} MB. Upload the photo itself, not a video or an archive.`);
    return;
  }
  if (state.photo.size === 0) {
    const name = state.photo.name || "photo";  // received, but empty: say which file, as the server would
    localError(`${name}：文件是空的（0 字节）。请重新选择或重新导出照片。`,
               `${name}: the file is empty (0 bytes). Choose or export the photo again.`);
    return;
  }
  showBusy(true);
  $("result").hidden = true; // never show the previous photo's verdict for this one
  const form = new FormData();
  form.append("photo", state.photo, state.photo.name || "photo.jpg");
  if (state.reference) form.append("reference", state.reference, state.reference.name || "enrollment.jpg");
  form.append("lang", root.dataset.lang || "zh");
  try {
    let resp, data;
    for (let attempt = 1; ; attempt++) {
      resp = await fetch("/api/check", { method: "POST", body: form });
      try { data = await resp.json(); } catch (e) { data = null; }
      // every check worker busy: wait as long as the server asks, a few times, before giving up
      if (resp.status !== 503 || !data || !data.retry_after || attempt > 3) break;
      const wait = Math.min(data.retry_after, 30);
      $("busy-retry").replaceChildren(both(`服务器繁忙，${wait} 秒后自动重试（第 ${attempt} 次）…`,
                                           `The server is busy; retrying in ${wait} s (attempt ${attempt})…`));
      $("busy-retry").hidden = false;
      await sleep(wait * 1000);
      $("busy-retry").hidden = true;
    }
    if (!data) {
      localError(`检查服务没有给出结果（HTTP ${resp.status}）。` + (LOCAL ? "请重新启动 photocheck serve 后再试。" : "请稍后再试。"),
                 `The check service gave no answer (HTTP ${resp.status}). ` + (LOCAL ? "Restart photocheck serve and try again." : "Try again later."));
    } else {
      render(data);
    }
  } catch (e) {
    if (LOCAL) {
      localError("无法连接本机的检查服务。请确认运行 photocheck serve 的窗口没有关闭。",
                 "Cannot reach the check service on this computer. Make sure the window running photocheck serve is still open.");
    } else {
      localError("无法连接检查服务器。请检查网络后再试。", "Cannot reach the check server. Check your connection and try again.");
    }
  } finally {
    showBusy(false);
    if (state.again) check();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  let lang = "zh";
  try { lang = localStorage.getItem("photocheck-lang") || "zh"; } catch (e) { /* private mode */ }
  setLang(lang);
  $("lang").addEventListener("click", () => setLang(document.documentElement.dataset.lang === "zh" ? "en" : "zh"));
  wireSlot("photo", "slot-photo", "photo");
  wireSlot("reference", "slot-ref", "reference");
  $("check").addEventListener("click", check);
  $("clear-ref").addEventListener("click", () => { $("reference").value = ""; setFile("reference", null); });
  // a file dropped outside the slots would make the browser navigate away from the page
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());
});
