/* Contingent operations console.
 *
 * Plain JavaScript over the service's REST API (/api). Libraries are vendored (Leaflet,
 * topojson-client, vis-timeline): the console works offline. Times are shown in the
 * theatre's time zone, as the plans are written.
 */
"use strict";

const state = {
  token: sessionStorage.getItem("contingent-token") || "",
  me: null,
  op: null,          // the selected operation
  plan: null,        // the plan shown (detail)
  views: null,       // its views
  map: null,
  mapLayers: null,
  timeline: null,
  world: null,
  polling: new Map(), // job id -> timer
  onDone: new Map(),  // job id -> what to do when it ends
};

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
};

// --- API -------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    const msg = body && body.detail ? body.detail : `HTTP ${status}`;
    super(body && body.field && !msg.includes(body.field) ? `${body.field}: ${msg}` : msg);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body) {
  const opts = { method, headers: { Authorization: `Bearer ${state.token}` } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = { detail: text }; }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

function showError(where, err) {
  $(where).textContent = err ? (err.message || String(err)) : "";
}

// --- times -----------------------------------------------------------------------------

function tz() {
  if (state.views) return state.views.time_zone;
  const rev = state.op && state.op.latest_revision;
  return rev ? rev.time_zone : "UTC";
}

function fmt(iso, withDay = true) {
  if (!iso) return "–";
  const d = new Date(iso);
  const opts = { timeZone: tz(), hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if (withDay) Object.assign(opts, { day: "2-digit", month: "short" });
  return new Intl.DateTimeFormat("en-GB", opts).format(d);
}

function offsetOf(iso) {
  const m = /([+-]\d\d:\d\d|Z)$/.exec(iso || "");
  return m ? (m[1] === "Z" ? "+00:00" : m[1]) : "+00:00";
}

function offsetMinutes(off) {
  const m = /([+-])(\d\d):(\d\d)/.exec(off);
  return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** An instant (ms) as ISO 8601 in the theatre's UTC offset, to the minute. */
function isoAt(ms, off) {
  const local = new Date(ms + offsetMinutes(off) * 60000);
  return local.toISOString().slice(0, 16) + off;
}

function minutes(m) {
  if (m === null || m === undefined) return "–";
  m = Math.round(m);
  if (m === 0) return "0";
  const s = m > 0 ? "+" : "−";
  const a = Math.abs(m);
  return a >= 60 ? `${s}${Math.floor(a / 60)} h ${String(a % 60).padStart(2, "0")}` : `${s}${a} min`;
}

// --- sign in ---------------------------------------------------------------------------

async function signIn(token) {
  state.token = token;
  try {
    state.me = await api("GET", "/api/me");
  } catch (err) {
    state.token = "";
    sessionStorage.removeItem("contingent-token");
    throw err;
  }
  sessionStorage.setItem("contingent-token", token);
  $("#who-name").textContent = state.me.name;
  $("#who-role").textContent = state.me.role;
  document.body.classList.toggle("viewer", state.me.role === "viewer");
  $("#who").hidden = false;
  $("#signin").hidden = true;
  $("#app").hidden = false;
  await loadOperations();
}

function signOut() {
  sessionStorage.removeItem("contingent-token");
  location.reload();
}

// --- operations ------------------------------------------------------------------------

async function loadOperations(select) {
  const ops = await api("GET", "/api/operations");
  const ul = $("#operations");
  ul.replaceChildren();
  for (const op of ops) {
    const a = el("a", { "data-op": op.id, onclick: () => selectOperation(op.id) },
      op.title || op.name, el("div", { class: "muted" },
        op.latest_revision ? `${op.latest_revision.scenario} · rev ${op.latest_revision.number}`
          : "no scenario yet"));
    ul.append(el("li", {}, a));
  }
  if (!ops.length) ul.append(el("li", { class: "muted" }, "No operations yet."));
  if (select) await selectOperation(select);
}

async function createOperation(ev) {
  ev.preventDefault();
  showError("#side-error", null);
  try {
    const body = { name: $("#op-name").value.trim(), title: $("#op-title").value.trim() };
    const bundled = $("#op-bundled").value;
    const file = $("#op-file").files[0];
    if (bundled) body.scenario = { bundled };
    else if (file) body.scenario = { source: await file.text() };
    const op = await api("POST", "/api/operations", body);
    $("#new-op").open = false;
    await loadOperations(op.id);
  } catch (err) { showError("#side-error", err); }
}

async function uploadRevision(ev) {
  ev.preventDefault();
  showError("#op-error", null);
  try {
    const file = $("#rev-file").files[0];
    await api("POST", `/api/operations/${state.op.id}/revisions`, { source: await file.text() });
    await selectOperation(state.op.id);
  } catch (err) { showError("#op-error", err); }
}

async function selectOperation(id) {
  showError("#op-error", null);
  state.op = await api("GET", `/api/operations/${id}`);
  for (const a of document.querySelectorAll("#operations a")) {
    a.classList.toggle("active", Number(a.dataset.op) === id);
  }
  $("#operation").hidden = false;
  $("#op-title-h").textContent = state.op.title || state.op.name;
  const rev = state.op.latest_revision;
  $("#op-revision").textContent = rev
    ? `Scenario ${rev.scenario}, revision ${rev.number} by ${rev.created_by}: ${rev.summary}`
    : "No scenario uploaded yet.";
  const phases = rev ? rev.phases : [];
  const sel = $("#phase");
  if (phases.length && !phases.includes(sel.value)) sel.value = phases[phases.length - 1];
  await loadJobs();
  await loadPlans();
}

// --- jobs ------------------------------------------------------------------------------

async function loadJobs() {
  const jobs = await api("GET", `/api/operations/${state.op.id}/jobs`);
  const box = $("#jobs");
  box.replaceChildren();
  for (const j of jobs.slice(0, 5)) {
    const what = j.kind === "plan" ? `plan ${j.params.phase}`
      : j.kind === "replan" ? `re-plan ${j.params.phase} from ${fmt(j.params.now)}`
        : `risk of plan ${j.params.plan_id}, ${j.params.runs} runs`;
    const row = el("div", { class: `job ${j.status}`, "data-job": j.id },
      `Job ${j.id}: ${what} — `, el("b", { class: "job-status" }, j.status), ` ${j.progress}`);
    if (j.status === "queued" || j.status === "running") {
      row.append(" ", el("button", { type: "button", class: "quiet write",
        onclick: async () => { await api("POST", `/api/jobs/${j.id}/cancel`); await loadJobs(); } },
        "Cancel"));
      watchJob(j.id);
    } else if (j.status === "failed" || j.status === "cancelled") {
      row.append(" ", el("button", { type: "button", class: "quiet write",
        onclick: async () => { const n = await api("POST", `/api/jobs/${j.id}/rerun`); watchJob(n.id); await loadJobs(); } },
        "Re-run"));
      if (j.error) row.append(el("pre", {}, j.error));
    }
    box.append(row);
  }
}

function watchJob(id, onDone) {
  if (onDone) state.onDone.set(id, onDone);
  if (state.polling.has(id)) return;
  const tick = async () => {
    let j;
    try { j = await api("GET", `/api/jobs/${id}`); } catch (_) { state.polling.delete(id); return; }
    const row = document.querySelector(`[data-job="${id}"]`);
    if (j.status === "queued" || j.status === "running") {
      if (row) row.querySelector(".job-status").nextSibling.textContent = ` ${j.progress}`;
      state.polling.set(id, setTimeout(tick, 700));
      return;
    }
    state.polling.delete(id);
    await loadJobs();
    const done = state.onDone.get(id);
    state.onDone.delete(id);
    if (done) await done(j);
  };
  state.polling.set(id, setTimeout(tick, 400));
}

async function runPlan() {
  showError("#op-error", null);
  try {
    const j = await api("POST", `/api/operations/${state.op.id}/jobs`, {
      kind: "plan", phase: $("#phase").value, time_limit: Number($("#time-limit").value) || 20 });
    await loadJobs();
    watchJob(j.id, async (done) => {
      if (done.status === "succeeded") await loadPlans(done.plan_id);
      else showError("#op-error", new Error(`plan job ${done.id} ${done.status}: ${done.error}`));
    });
  } catch (err) { showError("#op-error", err); }
}

// --- plans -----------------------------------------------------------------------------

async function loadPlans(select) {
  const plans = await api("GET", `/api/operations/${state.op.id}/plans?phase=${$("#phase").value}`);
  const sel = $("#plan-select");
  sel.replaceChildren();
  for (const p of plans) {
    const label = `${p.kind === "replan" ? "Re-plan" : "Plan"} ${p.id}: ${p.status}` +
      `${p.completion ? ", done " + fmt(p.completion) : ""}${p.announced ? " (announced)" : ""}`;
    sel.append(el("option", { value: p.id }, label));
  }
  if (!plans.length) {
    sel.append(el("option", { value: "" }, "no plans yet"));
    state.plan = null;
    clearPlan();
    return;
  }
  const announced = plans.find((p) => p.announced);
  sel.value = String(select || (announced ? announced.id : plans[0].id));
  await showPlan(Number(sel.value));
}

function clearPlan() {
  $("#plan-summary").replaceChildren(el("p", { class: "muted" }, "Run a plan for this phase."));
  $("#board").replaceChildren();
  $("#departures").replaceChildren();
  if (state.timeline) { state.timeline.destroy(); state.timeline = null; }
}

async function showPlan(id) {
  state.plan = await api("GET", `/api/plans/${id}`);
  if (!state.plan.completion) {
    state.views = null;
    clearPlan();
    $("#plan-summary").replaceChildren(el("p", { class: "error" },
      `No plan: ${state.plan.plan.message || state.plan.status}`));
    return;
  }
  state.views = await api("GET", `/api/plans/${id}/views`);
  renderSummary();
  renderBoard();
  renderDepartures();
  await renderMap();
  renderTimeline();
  fillEventForm();
  await loadEvents();
  await loadRisk();
  if (state.plan.kind === "replan") renderDiff(state.plan); else $("#diff").replaceChildren();
}

function renderSummary() {
  const p = state.plan, v = state.views, f = p.plan;
  const card = (big, small) => el("div", { class: "card" }, el("b", {}, big), el("span", {}, small));
  const lifts = f.sorties.filter((s) => s.kind === "lift").length;
  $("#plan-summary").replaceChildren(
    card(p.status, `${p.kind} ${p.id}${p.announced ? ", announced" : ""}`),
    card(fmt(f.completion), "completion"),
    card(f.gap_minutes === null ? "–" : minutes(f.gap_minutes), "gap to lower bound"),
    card(`${f.sorties.length}`, `sorties (${lifts} lift)`),
    ...Object.entries(v.nations).map(([n, t]) => card(fmt(t), `${n} done`)),
  );
  $("#tz-note").textContent = `(times in ${v.time_zone})`;
}

function renderBoard() {
  const t = $("#board");
  t.replaceChildren(el("tr", {}, el("th", {}, "Facility"), el("th", { class: "num" }, "Required"),
    el("th", { class: "num" }, "Lowest guard"), el("th", {}, "Handover"), el("th", {}, "State")));
  for (const f of state.views.facilities) {
    const hand = el("td", {}, fmt(f.handover));
    if (f.handover_moved) {
      hand.className = "moved-handover";
      hand.append(el("div", { class: "muted" }, `planned ${fmt(f.scenario_handover)}`));
    }
    t.append(el("tr", { "data-facility": f.id },
      el("td", {}, `${f.id} `, el("span", { class: "muted" }, f.name)),
      el("td", { class: "num" }, f.required), el("td", { class: "num" }, f.min_guard), hand,
      el("td", { class: `state-${f.state}` }, f.state === "gap" ? "guard gap" : "guarded to handover")));
  }
  if (!state.views.facilities.length) t.append(el("tr", {}, el("td", {}, "No facilities.")));
}

function renderDepartures() {
  const box = $("#departures");
  box.replaceChildren();
  for (const d of state.views.departures) {
    const peak = Math.max(1, d.cap || 0, ...d.days.map((x) => x.departures));
    const bars = el("div", { class: "dep-bars" });
    const days = el("div", { class: "dep-bars", style: "height:auto" });
    for (const x of d.days) {
      const bar = el("div", { class: `dep-bar${x.over ? " over" : ""}`,
        style: `height:${Math.max(2, 58 * x.departures / peak)}px`,
        title: `${x.day}: ${x.departures} departures${d.cap !== null ? ", cap " + d.cap : ""}` },
        x.departures || "");
      const col = el("div", { style: "position:relative" }, bar);
      if (d.cap !== null) col.append(el("div", { class: "dep-cap", style: `bottom:${58 * d.cap / peak}px` }));
      bars.append(col);
      days.append(el("div", { class: "dep-day" }, x.day.slice(5)));
    }
    box.append(el("div", { class: "dep-row" },
      el("div", { class: "lab" }, d.scope, el("div", { class: "muted" },
        d.cap === null ? "no cap" : `cap ${d.cap}/day`)),
      el("div", {}, bars, days)));
  }
}

async function renderMap() {
  if (!state.map) {
    state.map = L.map("map", { worldCopyJump: false, attributionControl: true, zoomSnap: 0.25 });
    state.map.attributionControl.setPrefix(false);
    state.map.attributionControl.addAttribution("Outlines: Natural Earth via world-atlas");
    if (!state.world) {
      const r = await fetch("/assets/world.json");
      if (r.ok) state.world = await r.json();
    }
    if (state.world) {
      const countries = topojson.feature(state.world, state.world.objects.countries);
      L.geoJSON(countries, { style: { color: "#9aa9b6", weight: 0.6, fillColor: "#fbfbf8",
        fillOpacity: 1 }, interactive: false }).addTo(state.map);
    }
  }
  if (state.mapLayers) state.mapLayers.remove();
  const layers = L.layerGroup().addTo(state.map);
  state.mapLayers = layers;
  const v = state.views;
  const at = Object.fromEntries(v.airfields.map((a) => [a.id, a]));
  const maxLifts = Math.max(1, ...v.routes.map((r) => r.lifts));
  for (const r of v.routes) {
    const a = at[r.origin], b = at[r.destination];
    L.polyline([[a.lat, a.lon], [b.lat, b.lon]], { color: "#2b5d8a", opacity: 0.7,
      weight: 1.5 + 6 * r.lifts / maxLifts, className: "route" })
      .bindTooltip(`${r.origin} → ${r.destination}: ${r.lifts} lifts`).addTo(layers);
  }
  const points = [];
  for (const a of v.airfields) {
    if (!a.used && !a.theatre) continue;
    points.push([a.lat, a.lon]);
    L.circleMarker([a.lat, a.lon], { radius: a.theatre ? 7 : 5, color: a.theatre ? "#b3261e" : "#2b5d8a",
      fillOpacity: 0.9, weight: 1, className: "airfield" })
      .bindTooltip(`${a.id} ${a.name}${a.cap !== null ? ` (cap ${a.cap}/day)` : ""}`).addTo(layers);
  }
  for (const f of v.facilities) {
    L.circleMarker([f.lat, f.lon], { radius: 4, color: f.state === "gap" ? "#b3261e" : "#2e7d32",
      fillOpacity: 1, weight: 1, className: "facility" })
      .bindTooltip(`${f.id} ${f.name}: handover ${fmt(f.handover)}`).addTo(layers);
  }
  state.map.invalidateSize();
  if (points.length) state.map.fitBounds(L.latLngBounds(points).pad(0.15));
  else state.map.setView([45, 70], 3);
}

function renderTimeline() {
  const v = state.views;
  const off = offsetMinutes(offsetOf(v.completion));
  const groups = new vis.DataSet(v.tails.map((t) => ({ id: t, content: t })));
  const items = new vis.DataSet(v.sorties.map((s) => ({
    id: s.id, group: s.tail, start: new Date(s.departure), end: new Date(s.arrival),
    content: s.kind === "lift" ? `${s.id} ${s.nation || ""}` : s.id,
    className: s.kind,
    title: `${s.id} ${s.kind} ${s.origin}→${s.destination}<br>${fmt(s.departure)} – ${fmt(s.arrival)}` +
      (s.kind === "lift" ? `<br>${s.pax} pax${s.units.length ? ", " + s.units.join(", ") : ""}` : ""),
  })));
  const options = {
    stack: false, orientation: "top", zoomKey: "ctrlKey", maxHeight: 420,
    moment: (date) => vis.moment(date).utcOffset(off),
    tooltip: { followMouse: true },
  };
  if (state.timeline) state.timeline.destroy();
  state.timeline = new vis.Timeline($("#timeline"), items, groups, options);
}

// --- risk ------------------------------------------------------------------------------

async function loadRisk() {
  const box = $("#risk");
  box.replaceChildren();
  if (!state.plan) return;
  const risks = await api("GET", `/api/operations/${state.op.id}/risks?plan_id=${state.plan.id}`);
  if (!risks.length) { box.append(el("p", { class: "muted" }, "No risk run for this plan yet.")); return; }
  const r = risks[0].result;
  const pct = (p) => (p === null || p === undefined ? "–" : `${(100 * p).toFixed(1)} %`);
  box.append(el("div", { class: "cards" },
    el("div", { class: "card" }, el("b", {}, pct(r.p_by_deadline)), el("span", {}, `P(done by deadline ${fmt(r.deadline)})`)),
    ...Object.entries(r.completion_quantiles || {}).map(([k, t]) =>
      el("div", { class: "card" }, el("b", {}, fmt(t)), el("span", {}, `${k} completion`))),
    el("div", { class: "card" }, el("b", {}, r.runs), el("span", {}, "runs"))));
  if ((r.drivers || []).length) {
    const t = el("table", { class: "data" }, el("tr", {}, el("th", {}, "Driver"),
      el("th", { class: "num" }, "P without it"), el("th", { class: "num" }, "Median shift")));
    for (const d of r.drivers) {
      t.append(el("tr", {}, el("td", {}, d.source), el("td", { class: "num" }, pct(d.p_without)),
        el("td", { class: "num" }, minutes(d.p50_shift_minutes))));
    }
    box.append(el("h3", {}, "What drives the risk"), t);
  }
}

async function runRisk(ev) {
  ev.preventDefault();
  showError("#op-error", null);
  try {
    const j = await api("POST", `/api/operations/${state.op.id}/jobs`, {
      kind: "risk", plan_id: state.plan.id, runs: Number($("#risk-runs").value) || 1000 });
    await loadJobs();
    watchJob(j.id, async (done) => {
      if (done.status === "succeeded") await loadRisk();
      else showError("#op-error", new Error(`risk job ${done.id} ${done.status}: ${done.error}`));
    });
  } catch (err) { showError("#op-error", err); }
}

// --- events ----------------------------------------------------------------------------

const FIELDS = {
  departed: ["sortie"], arrived: ["sortie"], cancelled: ["sortie"],
  airfield_closed: ["airfield", "from", "to"], aircraft_unserviceable: ["tail", "from", "to"],
  facility_handed_over: ["facility", "late"], unit_ready_late: ["unit"],
};

function options(select, list) {
  const keep = select.value;
  select.replaceChildren(...list.map(([v, label]) => el("option", { value: v }, label)));
  if (list.some(([v]) => v === keep)) select.value = keep;
}

function fillEventForm() {
  const v = state.views;
  options($("#ev-sortie"), v.sorties.slice().sort((a, b) => a.departure.localeCompare(b.departure))
    .map((s) => [s.id, `${s.id} ${s.tail} ${s.origin}→${s.destination} ${fmt(s.departure)}`]));
  options($("#ev-facility"), v.facilities.map((f) => [f.id, `${f.id} ${f.name} (handover ${fmt(f.scenario_handover)})`]));
  options($("#ev-airfield"), v.airfields.map((a) => [a.id, `${a.id} ${a.name}`]));
  options($("#ev-tail"), v.all_tails.map((t) => [t, t]));
  options($("#ev-unit"), v.units.filter((u) => u.mode === "air" || true).map((u) => [u.id, `${u.id} (${u.nation})`]));
  eventTypeChanged();
}

function eventTypeChanged() {
  const type = $("#ev-type").value;
  for (const lab of document.querySelectorAll("#event-form [data-for]")) {
    lab.hidden = !FIELDS[type].includes(lab.dataset.for);
  }
  suggestTime();
}

/** Prefill the time from the plan: the sortie's or the handover's planned time. */
function suggestTime() {
  if (!state.views) return;
  const type = $("#ev-type").value;
  const off = offsetOf(state.views.completion);
  let base = null;
  let hint = "";
  if (type === "facility_handed_over") {
    const f = state.views.facilities.find((x) => x.id === $("#ev-facility").value);
    if (f) {
      base = Date.parse(f.scenario_handover) + Number($("#ev-late").value || 0) * 3600e3;
      hint = `Planned handover ${fmt(f.scenario_handover)}; the time below is that plus the hours late.`;
    }
  } else if (["departed", "arrived", "cancelled"].includes(type)) {
    const s = state.views.sorties.find((x) => x.id === $("#ev-sortie").value);
    if (s) {
      base = Date.parse(type === "arrived" ? s.arrival : s.departure);
      hint = `Planned ${type === "arrived" ? "arrival" : "departure"} ${fmt(type === "arrived" ? s.arrival : s.departure)}.`;
    }
  }
  if (base !== null) $("#ev-time").value = isoAt(base, off);
  $("#ev-hint").textContent = hint;
}

async function recordEvent(ev) {
  ev.preventDefault();
  showError("#op-error", null);
  const type = $("#ev-type").value;
  const e = { type, time: $("#ev-time").value.trim() };
  const map = { sortie: "#ev-sortie", facility: "#ev-facility", airfield: "#ev-airfield",
    tail: "#ev-tail", unit: "#ev-unit", from: "#ev-from", to: "#ev-to" };
  for (const f of FIELDS[type]) if (map[f]) e[f] = $(map[f]).value.trim();
  if ($("#ev-reporter").value.trim()) e.reporter = $("#ev-reporter").value.trim();
  if ($("#ev-note").value.trim()) e.note = $("#ev-note").value.trim();
  try {
    await api("POST", `/api/operations/${state.op.id}/events`, { phase: $("#phase").value, events: [e] });
    $("#ev-note").value = "";
    await loadEvents();
  } catch (err) { showError("#op-error", err); }
}

async function loadEvents() {
  const events = await api("GET", `/api/operations/${state.op.id}/events?phase=${$("#phase").value}`);
  const t = $("#events");
  t.replaceChildren(el("tr", {}, el("th", { class: "num" }, "#"), el("th", {}, "Event"),
    el("th", {}, "Reporter"), el("th", {}, "Recorded by"), el("th", {}, "Against plan")));
  for (const e of events) {
    t.append(el("tr", { "data-event": e.seq }, el("td", { class: "num" }, e.seq),
      el("td", {}, e.description.replace(/^event \d+: /, "")), el("td", {}, e.reporter),
      el("td", {}, e.created_by), el("td", {}, e.plan_id)));
  }
  if (!events.length) t.append(el("tr", {}, el("td", { colspan: 5, class: "muted" }, "No events recorded.")));
}

// --- re-plan ---------------------------------------------------------------------------

async function runReplan(ev) {
  ev.preventDefault();
  showError("#op-error", null);
  const body = { kind: "replan", phase: $("#phase").value, move_cost: Number($("#rp-cost").value) || 0,
    time_limit: Number($("#time-limit").value) || 20 };
  if ($("#rp-now").value.trim()) body.now = $("#rp-now").value.trim();
  try {
    const j = await api("POST", `/api/operations/${state.op.id}/jobs`, body);
    $("#diff").replaceChildren(el("p", { class: "muted" }, `Re-planning (job ${j.id})…`));
    await loadJobs();
    watchJob(j.id, async (done) => {
      if (done.status !== "succeeded") {
        $("#diff").replaceChildren();
        showError("#op-error", new Error(`re-plan job ${done.id} ${done.status}: ${done.error}`));
        return;
      }
      await loadPlans(done.plan_id);
      activate("replan");
    });
  } catch (err) { showError("#op-error", err); }
}

function renderDiff(p) {
  const box = $("#diff");
  box.replaceChildren();
  const meta = p.plan.replan || {};
  if (!p.diff) {
    box.append(el("p", { class: "error" }, p.plan.message || "No re-plan keeps every rule."));
    return;
  }
  const d = p.diff;
  box.append(el("div", { class: "cards", id: "diff-summary" },
    el("div", { class: "card" }, el("b", {}, meta.strategy || "–"), el("span", {}, `re-plan ${p.id} from ${fmt(p.now)}`)),
    el("div", { class: "card" }, el("b", {}, minutes(d.completion.minutes)), el("span", {}, `completion ${fmt(d.completion.new)}`)),
    el("div", { class: "card" }, el("b", {}, d.counts.moved), el("span", {}, "moved")),
    el("div", { class: "card" }, el("b", {}, d.counts.added), el("span", {}, "added")),
    el("div", { class: "card" }, el("b", {}, d.counts.cancelled), el("span", {}, "cancelled")),
    el("div", { class: "card" }, el("b", {}, p.check && p.check.length ? `${p.check.length} breaks` : "OK"),
      el("span", {}, "checker on the rest"))));
  const nat = el("table", { class: "data", id: "diff-nations" }, el("tr", {}, el("th", {}, "Nation"),
    el("th", {}, "Was"), el("th", {}, "Now"), el("th", { class: "num" }, "Change")));
  for (const n of d.nations) {
    nat.append(el("tr", {}, el("td", {}, n.nation), el("td", {}, fmt(n.old)), el("td", {}, fmt(n.new)),
      el("td", { class: "num" }, minutes(n.minutes))));
  }
  box.append(el("h3", {}, "Completion per nation"), nat, el("h3", {}, "Changed sorties"));
  const list = el("div", { id: "diff-changes" });
  for (const c of d.changes) {
    const when = c.change === "moved" ? `${fmt(c.old_departure)} → ${fmt(c.new_departure)} (${minutes(c.minutes)})`
      : c.change === "added" ? `departs ${fmt(c.new_departure)}`
        : c.change === "cancelled" ? `was ${fmt(c.old_departure)}` : `${fmt(c.new_departure)}, other load`;
    list.append(el("div", { class: "change", "data-sortie": c.sortie },
      el("span", { class: `kind kind-${c.change}` }, c.change),
      `${c.sortie} ${c.kind} ${c.tail} ${c.origin}→${c.destination} ${when}`,
      el("div", { class: "why" }, c.reason || "–")));
  }
  if (!d.changes.length) list.append(el("p", { class: "muted" }, "Nothing to change."));
  box.append(list);
  if (!p.announced && state.me.role !== "viewer") {
    box.append(el("p", {}, el("button", { type: "button", onclick: async () => {
      try { await api("POST", `/api/plans/${p.id}/announce`); await loadPlans(p.id); activate("replan"); }
      catch (err) { showError("#op-error", err); }
    } }, "Announce this re-plan")));
  }
}

// --- tabs and wiring -------------------------------------------------------------------

function activate(tab) {
  for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b.dataset.tab === tab);
  for (const t of document.querySelectorAll(".tab")) t.hidden = t.id !== `tab-${tab}`;
  if (tab === "plan" && state.map) state.map.invalidateSize();
  if (tab === "plan" && state.timeline) state.timeline.redraw();
}

function download(fmtName) {
  if (!state.plan) return;
  // The token goes in a header, so fetch the file and hand the browser a blob.
  fetch(`/api/plans/${state.plan.id}/export/${fmtName}`, { headers: { Authorization: `Bearer ${state.token}` } })
    .then((r) => { if (!r.ok) throw new Error(`HTTP ${r.status}`); return r.blob(); })
    .then((b) => {
      const a = el("a", { href: URL.createObjectURL(b), download: `plan-${state.plan.id}.${fmtName}` });
      document.body.append(a); a.click(); a.remove();
    })
    .catch((err) => showError("#op-error", err));
}

function wire() {
  $("#signin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showError("#signin-error", null);
    try { await signIn($("#token").value.trim()); } catch (err) { showError("#signin-error", err); }
  });
  $("#sign-out").addEventListener("click", signOut);
  $("#new-op-form").addEventListener("submit", createOperation);
  $("#revision-form").addEventListener("submit", uploadRevision);
  $("#run-plan").addEventListener("click", runPlan);
  $("#phase").addEventListener("change", () => loadPlans().catch((e) => showError("#op-error", e)));
  $("#plan-select").addEventListener("change", (ev) => {
    if (ev.target.value) showPlan(Number(ev.target.value)).catch((e) => showError("#op-error", e));
  });
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => activate(b.dataset.tab));
  $("#ev-type").addEventListener("change", eventTypeChanged);
  for (const s of ["#ev-facility", "#ev-sortie", "#ev-late"]) $(s).addEventListener("input", suggestTime);
  $("#event-form").addEventListener("submit", recordEvent);
  $("#replan-form").addEventListener("submit", runReplan);
  $("#risk-form").addEventListener("submit", runRisk);
  for (const a of document.querySelectorAll(".downloads a")) a.addEventListener("click", () => download(a.dataset.fmt));
  if (state.token) signIn(state.token).catch(() => { $("#signin").hidden = false; });
}

wire();
