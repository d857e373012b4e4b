// The review page: renders the server's groups, sends each choice back, plays and draws
// files. Every request carries the token; every text from the library goes in through
// textContent, never as HTML.
"use strict";

const TOKEN = new URLSearchParams(location.search).get("token") || "";
const LIMIT = 25;
const state = { filter: {}, offset: 0, total: 0, info: null };
const $ = (id) => document.getElementById(id);

function withToken(path) {
  return path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(TOKEN);
}

async function api(path, body) {
  const options = { headers: { "X-Music-Tools-Token": TOKEN } };
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function say(text, isError) {
  const status = $("status");
  status.textContent = text;
  status.className = isError ? "error" : "";
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
  }
  return node;
}

// -- formatting ------------------------------------------------------------------------

const show = {
  duration: (s) => (s == null ? "" : `${Math.floor(Math.round(s) / 60)}:${String(Math.round(s) % 60).padStart(2, "0")}`),
  size: (b) => (b == null ? "" : b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${Math.round(b / 1e3)} KB`),
  bitrate: (k) => (k == null ? "" : `${k} kbps`),
  sample_rate: (r) => (r == null ? "" : `${(r / 1000).toFixed(r % 1000 ? 1 : 0)} kHz`),
  bits: (b) => (b == null ? "" : `${b}-bit`),
  mode: (m) => m || "–",
  verdict: (v) => (v ? v.replace("_", " ") : ""),
};

const COLUMNS = [
  ["artist", "Artist"], ["title", "Title"], ["album", "Album"], ["format", "Format"],
  ["codec", "Codec"], ["mode", "CBR/VBR"], ["bitrate", "Bitrate"], ["sample_rate", "Rate"],
  ["bits", "Bits"], ["duration", "Length"], ["size", "Size"], ["verdict", "Verdict"],
];

function differs(name, a, b) {
  if (name === "duration") return a != null && b != null && Math.abs(a - b) > 1;
  return a !== b;
}

// -- the groups ------------------------------------------------------------------------

function query() {
  const params = new URLSearchParams();
  const f = state.filter;
  if (f.kind) params.set("kind", f.kind);
  if (f.folder) params.set("folder", f.folder);
  if (f.q) params.set("q", f.q);
  if (f.flagged) params.set("flagged", "1");
  return params;
}

async function loadPage() {
  const params = query();
  params.set("offset", state.offset);
  params.set("limit", LIMIT);
  const page = await api("/api/groups?" + params);
  state.total = page.total;
  const main = $("groups");
  main.replaceChildren(...page.groups.map(renderGroup));
  if (!page.groups.length) main.append(el("p", { class: "empty" }, "No groups here."));
  renderPager();
  $("export").href = withToken("/export.csv?" + query());
}

function renderPager() {
  const pager = $("pager");
  const last = Math.min(state.offset + LIMIT, state.total);
  const prev = el("button", { type: "button", id: "prev", disabled: state.offset === 0 }, "‹ previous");
  const next = el("button", { type: "button", id: "next", disabled: last >= state.total }, "next ›");
  prev.onclick = () => { state.offset = Math.max(0, state.offset - LIMIT); loadPage().catch(fail); };
  next.onclick = () => { state.offset += LIMIT; loadPage().catch(fail); };
  const where = state.total ? `groups ${state.offset + 1}–${last} of ${state.total.toLocaleString()}` : "no groups";
  pager.replaceChildren(prev, el("span", {}, where), next);
}

function renderGroup(group) {
  const keeper = group.files.find((f) => f.id === group.keeper);
  const mark = el("input", { type: "checkbox", class: "mark", checked: group.marked, disabled: group.applied, "data-group": group.id });
  mark.onchange = () => api("/api/mark", { group: group.id, marked: mark.checked }).then(dirty).catch(fail);
  const head = el("header", {},
    el("label", {}, mark, ` act on group ${group.id + 1}`),
    el("span", { class: `kind kind-${group.kind}` }, group.kind.replace("_", " ")),
    group.applied ? el("span", { class: "applied" }, "applied") : null,
    group.not_best ? el("span", { class: "flag", title: "the copy kept is not the best-sounding one" }, `⚠ keeper is not the best copy: ${group.not_best}`) : null);
  const headings = el("tr", {}, el("th", {}, "Keep"), el("th", {}, ""), el("th", {}, ""),
    ...COLUMNS.map(([, title]) => el("th", {}, title)), el("th", {}, "Path"));
  const body = el("tbody");
  for (const file of group.files) body.append(...renderFile(group, file, keeper));
  return el("article", { class: "group" + (group.applied ? " done" : ""), "data-group": group.id },
    head, el("table", {}, el("thead", {}, headings), body));
}

function renderFile(group, file, keeper) {
  const isKeeper = file.id === group.keeper;
  const radio = el("input", { type: "radio", name: `keeper-${group.id}`, value: file.id, checked: isKeeper, disabled: group.applied });
  radio.onchange = () => chooseKeeper(group.id, file.id);
  const play = el("button", { type: "button", class: "play", "data-row": file.id, title: "play" }, "▶");
  play.onclick = () => playFile(file, play);
  const spectrum = el("button", { type: "button", class: "spec", "data-row": file.id, title: "spectrogram" }, "▤");
  const row = el("tr", { class: isKeeper ? "keeper" : "", "data-row": file.id },
    el("td", {}, radio), el("td", {}, play), el("td", {}, spectrum));
  for (const [name] of COLUMNS) {
    const value = file[name];
    const cell = el("td", { class: name }, name in show ? show[name](value) : value == null ? "" : String(value));
    if (!isKeeper && keeper && differs(name, value, keeper[name])) cell.classList.add("diff");
    row.append(cell);
  }
  // the marks keep a path's slashes in place in a cell that ellipsizes on the left
  row.append(el("td", { class: "path", title: file.path }, `\u200e${file.path}\u200e`));
  const extra = el("tr", { class: "spectrum", hidden: true }, el("td", { colSpan: COLUMNS.length + 4 }));
  spectrum.onclick = () => toggleSpectrogram(file, extra);
  return [row, extra];
}

async function chooseKeeper(groupId, rowId) {
  try {
    const group = await api("/api/keeper", { group: groupId, keeper: rowId });
    const old = document.querySelector(`article.group[data-group="${groupId}"]`);
    if (old) old.replaceWith(renderGroup(group));
    dirty();
  } catch (error) { fail(error); }
}

// -- listening and looking ------------------------------------------------------------

function playFile(file, button) {
  const player = $("player");
  const label = `${file.artist || ""} – ${file.title || ""} (${file.format || "?"}) ${file.path}`;
  if (!file.media_type || !player.canPlayType(file.media_type)) {
    player.dataset.state = "unplayable";
    $("now-playing").textContent = `This browser cannot play ${(file.format || "this").toUpperCase()} files (${file.codec || "unknown codec"}): ${file.path}`;
    button.classList.add("unplayable");
    return;
  }
  player.dataset.state = "loading";
  player.dataset.row = file.id;
  $("now-playing").textContent = label;
  player.src = withToken(`/audio/${file.id}`);
  player.play().catch(() => {});
}

function setUpPlayer() {
  const player = $("player");
  player.addEventListener("canplay", () => { player.dataset.state = "canplay"; });
  player.addEventListener("error", () => {
    if (!player.getAttribute("src")) return;
    player.dataset.state = "error";
    $("now-playing").textContent = "Could not play it: the browser does not decode this file, or it is gone.";
  });
}

async function toggleSpectrogram(file, row) {
  row.hidden = !row.hidden;
  if (row.hidden || row.dataset.loaded) return;
  row.dataset.loaded = "1";
  const cell = row.firstChild;
  const url = withToken(`/spectrogram/${file.id}`);
  const image = el("img", { alt: `spectrogram of ${file.path}`, class: "spectrogram", "data-row": file.id });
  const top = file.sample_rate ? file.sample_rate / 2000 : null;
  const axis = el("div", { class: "axis" });
  if (top) {
    for (const khz of [5, 10, 15, 20, 25, 30, 40].filter((k) => k < top)) {
      axis.append(el("span", {}, `${khz} kHz`));
      axis.lastChild.style.bottom = `${(khz / top) * 100}%`;
    }
  }
  const figure = el("figure", {}, el("div", { class: "plot" }, image, axis),
    el("figcaption", {}, `${top ? `0 – ${top.toFixed(2)} kHz, ` : ""}${seconds(file)} s of ${file.name}`));
  cell.replaceChildren(el("span", { class: "loading" }, "drawing…"));
  image.onload = () => { cell.replaceChildren(figure); image.dataset.state = "loaded"; };
  image.onerror = async () => {
    const reason = await fetch(url).then((r) => r.json()).then((d) => d.error).catch(() => "");
    cell.replaceChildren(el("span", { class: "error" }, `No spectrogram: ${reason || "it could not be drawn"}`));
  };
  image.src = url;
}

function seconds(file) {
  // as the server takes them: 10 s, a third of the way into a file of 30 s or more
  return file.duration ? Math.round(Math.min(10, file.duration)) : 10;
}

// -- acting ----------------------------------------------------------------------------

function dirty() {
  $("apply").disabled = true;  // a preview is of the choices made before it
}

function renderOutcomes(report, what) {
  const section = $("outcomes");
  section.hidden = false;
  section.dataset.state = what;
  const counts = Object.entries(report.counts).map(([k, v]) => `${v} ${k}`).join(", ") || "nothing to do";
  const list = el("ol");
  for (const o of report.outcomes.slice(0, 500)) {
    const verb = { would: o.op === "trash" ? "would trash" : "would move", done: o.op === "trash" ? "trashed" : what === "undone" ? "put back" : "moved", skipped: "skipped", failed: "FAILED" }[o.status];
    const target = o.target && o.status !== "skipped" ? ` → ${o.target}` : "";
    list.append(el("li", { class: o.status }, `${verb}: ${o.path}${target}${o.reason ? ` (${o.reason})` : ""}`));
  }
  const log = report.log ? el("p", {}, `log: ${report.log} (music-tools undo LOG)`) : null;
  section.replaceChildren(...[el("h2", {}, `${what}: ${counts}`), log, list].filter(Boolean));
}

async function act(path, what) {
  say(`${what}…`);
  try {
    const report = await api(path, {});
    renderOutcomes(report, what);
    say("");
    return report;
  } catch (error) { fail(error); return null; }
}

function setUpActions() {
  $("preview").onclick = async () => {
    const report = await act("/api/preview", "preview");
    $("apply").disabled = !(report && report.counts.would);
  };
  $("apply").onclick = async () => {
    $("apply").disabled = true;
    const report = await act("/api/apply", "applied");
    if (report) $("undo").disabled = false;
    await loadPage().catch(fail);
  };
  $("undo").onclick = async () => {
    const report = await act("/api/undo", "undone");
    if (report) $("undo").disabled = true;
    await loadPage().catch(fail);
  };
  $("apply-preset").onclick = async () => {
    const result = await api("/api/preset", { preset: $("preset").value, filter: state.filter }).catch(fail);
    if (result) { say(`keepers re-chosen by ${$("preset").value}: ${result.changed} changed`); dirty(); await loadPage().catch(fail); }
  };
  for (const [id, marked] of [["mark-all", true], ["unmark-all", false]]) {
    $(id).onclick = async () => {
      const result = await api("/api/mark-all", { filter: marked ? state.filter : {}, marked }).catch(fail);
      if (result) { say(`${result.count} groups ${marked ? "marked" : "unmarked"}`); dirty(); await loadPage().catch(fail); }
    };
  }
  $("refresh").onclick = async () => {
    say("finding duplicates again…");
    const result = await api("/api/refresh", {}).catch(fail);
    if (result) { say(`${result.groups} groups found in ${result.seconds} s`); dirty(); state.offset = 0; await start(); }
  };
}

function fail(error) {
  say(String(error.message || error), true);
}

// -- start -----------------------------------------------------------------------------

async function start() {
  const info = await api("/api/info");
  state.info = info;
  $("summary").textContent = `${info.groups.toLocaleString()} groups (found in ${info.seconds} s) · ${info.database}`;
  $("acting").textContent = info.acting ? `Apply will ${info.acting}; undo puts moved files back.` : "Read-only: start review with --move-to DIR or --trash to act.";
  $("preview").disabled = !info.acting;
  const kind = $("kind");
  if (kind.options.length === 1) for (const k of info.kinds) kind.append(el("option", { value: k }, k.replace("_", " ")));
  const preset = $("preset");
  preset.replaceChildren(...info.presets.map((p) => el("option", { value: p, selected: p === info.preset }, p)));
  await loadPage();
  document.body.dataset.ready = "1";
}

document.addEventListener("DOMContentLoaded", () => {
  $("filter").addEventListener("submit", (event) => {
    event.preventDefault();
    state.filter = { kind: $("kind").value, folder: $("folder").value.trim(), q: $("text").value.trim(), flagged: $("flagged").checked };
    state.offset = 0;
    loadPage().catch(fail);
  });
  setUpPlayer();
  setUpActions();
  start().catch(fail);
});
