"use strict";
const KEY = "minibot-token";
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("token")) {
  sessionStorage.setItem(KEY, fragment.get("token"));
  history.replaceState(null, "", location.pathname); // the token leaves the address bar
}
const $ = (id) => document.getElementById(id);
// Relative to the page: Asterisk's http.conf may put a prefix before /minibot/.
const BASE = location.pathname.replace(/[^/]*$/, "");
function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value == null ? "" : String(value);
  if (cls) el.className = cls;
  return el;
}
function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) tr.appendChild(c instanceof Node ? c : text("td", c));
  return tr;
}
function pairs(obj) {
  return Object.entries(obj || {}).map(([k, n]) => k + " " + n).join(", ") || "-";
}
function bars(container, items) {
  container.replaceChildren();
  const max = Math.max(1, ...items.map(([, n]) => n));
  for (const [label, n] of items) {
    const line = document.createElement("div");
    line.className = "row";
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.style.width = (100 * n / max) + "%";
    const holder = document.createElement("div");
    holder.appendChild(bar);
    line.append(text("span", label), holder, text("span", n));
    container.appendChild(line);
  }
}
function render(data) {
  $("meta").textContent = "node " + data.node + " - " + new Date(data.time_ms).toLocaleTimeString();
  $("call-count").textContent = data.calls.length;
  $("calls").replaceChildren(...data.calls.map((c) => {
    const state = text("td", "");
    state.appendChild(text("span", c.state + (c.speaking ? " (speaking)" : ""), "state" + (c.speaking ? " speaking" : "")));
    const words = c.partial || c.last_text || "";
    const intent = c.last_intent ? " [" + c.last_intent + "]" : "";
    return row([c.channel, c.campaign, c.step, state, c.duration_s + " s", c.turns, words + intent]);
  }));
  if (!data.calls.length) $("calls").appendChild(row([text("td", "no call in progress", "muted")]));
  $("campaigns").replaceChildren(...data.campaigns.map((c) =>
    row([c.name, c.status, pairs(c.queue), c.calls, c.answered, pairs(c.outcomes), pairs(c.leads)])));
  $("db-error").textContent = data.db_error ? "database: " + data.db_error : "";
  if (data.campaigns.length) {
    const funnel = $("funnel");
    funnel.className = "";
    funnel.replaceChildren();
    for (const c of data.campaigns) {
      funnel.appendChild(text("div", c.name));
      const box = document.createElement("div");
      funnel.appendChild(box);
      bars(box, c.funnel);
    }
  }
  const r = data.reaction;
  if (r.count > 0) {
    $("latency").className = "";
    const labels = r.bounds_s.map((b, i) => (i + 1 < r.bounds_s.length ? "<= " + Math.round(b * 1000) + " ms" : "more"));
    bars($("latency"), labels.map((l, i) => [l, r.counts[i]]));
    $("latency").appendChild(text("p", r.count + " turns, mean " + Math.round(1000 * r.sum_s / r.count) + " ms", "muted"));
  }
}
async function refresh() {
  const token = sessionStorage.getItem(KEY);
  if (!token) { $("login").hidden = false; return; }
  try {
    const res = await fetch(BASE + "api/live", { headers: { Authorization: "Bearer " + token }, cache: "no-store" });
    if (res.status === 401 || res.status === 403) {
      sessionStorage.removeItem(KEY);
      $("login").hidden = false;
      $("login-error").textContent = (await res.json()).error;
      return;
    }
    if (!res.ok) throw new Error("HTTP " + res.status);
    $("login").hidden = true;
    render(await res.json());
    document.body.dataset.loaded = "yes";
  } catch (e) {
    $("meta").textContent = "cannot reach MiniBot: " + e.message;
  }
}
$("form").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY, $("token").value.trim());
  $("login-error").textContent = "";
  refresh();
});
refresh();
setInterval(refresh, 2000);
