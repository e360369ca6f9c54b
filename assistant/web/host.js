// The host's live handoff queue: a snapshot then live events over /v1/handoffs/feed, and
// acknowledge/close over HTTP. Viewer text is untrusted: it only ever goes into textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const list = $("handoffs");
const tpl = $("handoff-tpl");
const handoffs = new Map(); // id -> handoff dict, as last seen
let ws = null;
let wanted = false; // the user asked to be connected: reconnect on drops
let retryMs = 500;
let retryTimer = null;
let attempt = 0; // bumped per connect(): a slower, older attempt gives way to a newer one

function setStatus(text, error = false) {
  const el = $("conn-status");
  el.textContent = text;
  el.classList.toggle("error", error);
}

function fmtTime(ts) {
  return ts ? new Date(ts * 1000).toLocaleTimeString() : "";
}

function render(h, fresh = false) {
  let card = list.querySelector(`[data-id="${CSS.escape(h.id)}"]`);
  if (!card) {
    card = tpl.content.firstElementChild.cloneNode(true);
    card.dataset.id = h.id;
    card.querySelector(".ack").addEventListener("click", () => act(h.id, "ack", card));
    card.querySelector(".close").addEventListener("click", () => act(h.id, "close", card));
    list.prepend(card); // newest first
  }
  card.dataset.status = h.status;
  card.classList.toggle("closed", h.status === "closed");
  if (fresh) {
    card.classList.remove("fresh");
    void card.offsetWidth; // restart the highlight animation
    card.classList.add("fresh");
  }
  const status = card.querySelector(".status");
  status.textContent = h.status;
  status.className = `badge status ${h.status}`;
  const kind = card.querySelector(".kind");
  kind.textContent = h.kind === "question" ? "question to answer" : "wants to buy";
  card.dataset.kind = h.kind || "purchase";
  card.querySelector(".lang").textContent = h.lang || "?";
  card.querySelector(".viewer").textContent = `viewer ${h.viewer}`;
  card.querySelector(".room").textContent = `${h.room} / ${h.market}`;
  card.querySelector(".time").textContent = fmtTime(h.created_at);
  card.querySelector(".score").textContent = Number(h.score).toFixed(2);
  const reasons = card.querySelector(".reasons");
  reasons.replaceChildren(...(h.reasons || []).map((r) => {
    const chip = document.createElement("span");
    chip.className = "chip reason";
    chip.textContent = r;
    return chip;
  }));
  card.querySelector(".summary").textContent = h.summary;
  const turns = card.querySelector(".turns");
  turns.replaceChildren(...(h.turns || []).map((t) => {
    const li = document.createElement("li");
    const role = document.createElement("span");
    role.className = "role";
    role.textContent = t.role === "viewer" || t.role === "user" ? "viewer" : t.role;
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = t.text;
    if (t.lang) text.lang = t.lang;
    li.append(role, text);
    return li;
  }));
  card.querySelector(".ack").disabled = h.status !== "open";
  card.querySelector(".close").disabled = h.status === "closed";
  card.hidden = h.status === "closed" && !$("show-closed").checked;
}

function refreshCounts() {
  let open = 0, ack = 0;
  for (const h of handoffs.values()) {
    if (h.status === "open") open++;
    else if (h.status === "acknowledged") ack++;
  }
  $("count-open").textContent = open;
  $("count-ack").textContent = ack;
  document.title = open ? `(${open}) Host console` : "Host console - handoffs";
  $("empty").hidden = list.querySelector(".handoff:not([hidden])") !== null;
}

function upsert(h, fresh = false) {
  const prev = handoffs.get(h.id);
  // Events may race an HTTP response: never move a handoff back to an earlier state.
  if (prev && (prev.updated_at || 0) > (h.updated_at || 0)) return;
  handoffs.set(h.id, h);
  render(h, fresh);
}

async function act(id, action, card) {
  const err = card.querySelector(".action-error");
  err.textContent = "";
  const buttons = card.querySelectorAll("button");
  buttons.forEach((b) => (b.disabled = true));
  try {
    const r = await fetch(`/v1/handoffs/${encodeURIComponent(id)}/${action}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${$("token").value.trim()}` },
    });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) {
      const msg = body.error?.message || body.detail || `HTTP ${r.status}`;
      throw new Error(typeof msg === "string" ? msg : JSON.stringify(msg));
    }
    upsert(body);
  } catch (e) {
    err.textContent = `Could not ${action === "ack" ? "acknowledge" : "close"}: ${e.message}`;
  } finally {
    const h = handoffs.get(id);
    if (h) render(h);
    refreshCounts();
  }
}

function onEvent(msg) {
  if (msg.type === "snapshot") {
    handoffs.clear();
    list.replaceChildren();
    // The snapshot is oldest-first from the store; prepend newest last so it ends on top.
    const items = [...msg.handoffs].sort((a, b) => a.created_at - b.created_at);
    items.forEach((h) => upsert(h));
  } else if (msg.type && msg.type.startsWith("handoff.") && msg.handoff) {
    upsert(msg.handoff, msg.type === "handoff.created");
  }
  refreshCounts();
}

function refused(reason) {
  wanted = false;
  setStatus(`Refused: ${reason}.`, true);
  toggleButtons();
}

async function connect() {
  const mine = ++attempt;
  const token = $("token").value.trim();
  const room = $("room").value.trim();
  sessionStorage.setItem("host.token", token);
  sessionStorage.setItem("host.room", room);
  // A browser only reports a refused WebSocket handshake as "closed (1006)", so check the
  // token over HTTP first to tell the host why.
  try {
    const qs = new URLSearchParams({ limit: "1" });
    if (room) qs.set("room", room);
    const r = await fetch(`/v1/handoffs?${qs}`, { headers: { Authorization: `Bearer ${token}` } });
    if (r.status === 401 || r.status === 403) {
      const body = await r.json().catch(() => ({}));
      return refused(body.error?.message || body.detail || "the host token is not valid");
    }
  } catch {
    // The service is unreachable: the WebSocket attempt below fails and schedules a retry.
  }
  if (!wanted || mine !== attempt) return;
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const qs = new URLSearchParams({ token });
  if (room) qs.set("room", room);
  const sock = new WebSocket(`${proto}//${location.host}/v1/handoffs/feed?${qs}`);
  ws = sock;
  setStatus("Connecting...");
  sock.onopen = () => {
    retryMs = 500;
    setStatus(`Live: ${room ? `room ${room}` : "all rooms"}.`);
    document.body.dataset.feed = "open";
  };
  sock.onmessage = (e) => {
    try {
      onEvent(JSON.parse(e.data));
    } catch (err) {
      console.error("bad feed event", err);
    }
  };
  sock.onclose = (e) => {
    if (ws !== sock) return;
    ws = null;
    document.body.dataset.feed = "closed";
    if (e.code === 1008) { // policy violation: the token was refused; retrying will not help
      return refused(e.reason || "the host token is not valid");
    }
    if (wanted) {
      setStatus(`Connection lost; reconnecting in ${Math.round(retryMs / 1000)} s...`, true);
      retryTimer = setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 15000);
    } else {
      setStatus("Disconnected.");
    }
  };
}

function toggleButtons() {
  $("connect-btn").disabled = wanted;
  $("disconnect-btn").disabled = !wanted;
}

$("connect").addEventListener("submit", (e) => {
  e.preventDefault();
  if (ws) ws.close();
  clearTimeout(retryTimer);
  wanted = true;
  toggleButtons();
  connect();
});

$("disconnect-btn").addEventListener("click", () => {
  wanted = false;
  attempt++;
  clearTimeout(retryTimer);
  if (ws) ws.close();
  toggleButtons();
});

$("show-closed").addEventListener("change", () => {
  handoffs.forEach((h) => render(h));
  refreshCounts();
});

// Prefill: ?room= in the URL wins, then this tab's last values. The token stays in this tab only.
const params = new URLSearchParams(location.search);
$("room").value = params.get("room") ?? sessionStorage.getItem("host.room") ?? "";
$("token").value = sessionStorage.getItem("host.token") ?? "";
refreshCounts();
