// Voice demo: browser microphone -> /v1/realtime (OpenAI Realtime GA events) -> transcripts,
// reply text and reply audio. Reply audio is scheduled back to back on one Web Audio clock and
// stopped at once when the viewer starts speaking (barge-in) or the server cancels the reply.
"use strict";

const $ = (id) => document.getElementById(id);
const RATE = 24000;
// The per-stage timings the server reports in response.done metadata, in pipeline order.
const STAGES = [
  ["voice_to_voice_ms", "voice to voice"],
  ["endpointing_ms", "end of speech detected"],
  ["stt_ms", "speech to text"],
  ["dialogue_first_sentence_ms", "first sentence of the answer"],
  ["tts_first_chunk_ms", "first audio chunk"],
];

let ws = null;
let ctx = null; // one AudioContext for capture and playback
let micStream = null;
let micNode = null;
let playHead = 0; // context time at which the next reply chunk starts
const playing = new Set(); // scheduled AudioBufferSourceNodes
const counters = { received: 0, played: 0, bargeIns: 0, sentSamples: 0 };
const turns = new Map(); // item_id or response_id -> turn card
const interim = new Map(); // item_id -> partial transcript
let lastTurn = null;
let responding = false; // between response.created and response.done
let serverError = null; // the server's own words: never overwritten by a later local message

function setStatus(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

function bump() {
  $("chunks-received").textContent = counters.received;
  $("chunks-played").textContent = counters.played;
  $("barge-ins").textContent = counters.bargeIns;
  $("sent-ms").textContent = Math.round((counters.sentSamples / RATE) * 1000);
}

// --- base64 <-> PCM16

function toBase64(buf) {
  const bytes = new Uint8Array(buf);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function pcm16FromBase64(b64) {
  const bin = atob(b64);
  const out = new Float32Array(bin.length >> 1);
  for (let i = 0; i < out.length; i++) {
    let v = bin.charCodeAt(2 * i) | (bin.charCodeAt(2 * i + 1) << 8);
    if (v >= 0x8000) v -= 0x10000;
    out[i] = v / 32768;
  }
  return out;
}

// --- playback

function playChunk(b64) {
  const samples = pcm16FromBase64(b64);
  if (!samples.length || !ctx) return;
  counters.received++;
  const buf = ctx.createBuffer(1, samples.length, RATE); // the context resamples on play
  buf.copyToChannel(samples, 0);
  const src = ctx.createBufferSource();
  src.buffer = buf;
  src.connect(ctx.destination);
  // A small lead absorbs network jitter; later chunks queue right after the previous one.
  playHead = Math.max(playHead, ctx.currentTime + 0.05);
  src.start(playHead);
  playHead += buf.duration;
  playing.add(src);
  src.onended = () => {
    if (playing.delete(src)) { // not stopped by a barge-in
      counters.played++;
      bump();
    }
  };
  bump();
}

function stopPlayback() {
  const had = playing.size > 0;
  for (const src of playing) {
    playing.delete(src);
    try { src.stop(); } catch { /* already stopped */ }
  }
  playHead = 0;
  return had;
}

// --- turns

function newTurn(key) {
  const card = $("turn-tpl").content.firstElementChild.cloneNode(true);
  $("turns").prepend(card);
  turns.set(key, card);
  lastTurn = card;
  return card;
}

function turnFor(key) {
  return turns.get(key) || newTurn(key);
}

function setTurnStatus(card, status) {
  const b = card.querySelector(".status");
  b.textContent = status;
  b.className = `badge status ${status}`;
  card.dataset.status = status;
}

function showLatency(card, metadata) {
  const table = card.querySelector(".latency");
  const rows = [];
  for (const [key, label] of STAGES) {
    if (metadata[key] === undefined) continue;
    rows.push([label, `${Math.round(Number(metadata[key]))} ms`, key]);
  }
  // Any other stage the server adds is shown too, after the known ones.
  for (const [key, v] of Object.entries(metadata)) {
    if (key.endsWith("_ms") && !STAGES.some(([k]) => k === key)) {
      rows.push([key.replace(/_ms$/, "").replaceAll("_", " "), `${Math.round(Number(v))} ms`,
        key]);
    }
  }
  table.replaceChildren(...rows.map(([label, value, key]) => {
    const tr = document.createElement("tr");
    tr.dataset.stage = key;
    const a = document.createElement("td");
    a.textContent = label;
    const b = document.createElement("td");
    b.className = "v";
    b.textContent = value;
    tr.append(a, b);
    return tr;
  }));
}

// --- server events

function onEvent(e) {
  switch (e.type) {
    case "session.created":
      setStatus("Listening. Ask a question.");
      document.body.dataset.session = "ready";
      break;
    case "input_audio_buffer.speech_started":
      // Barge-in: silence the co-host at once; the server cancels the reply on its side.
      // The server paces audio in real time, so little may be queued here: a reply still in
      // progress counts as interrupted too.
      if (stopPlayback() || responding) counters.bargeIns++;
      bump();
      setStatus("Hearing you...");
      break;
    case "input_audio_buffer.speech_stopped":
      setStatus("Thinking...");
      break;
    case "conversation.item.input_audio_transcription.delta": {
      const text = (interim.get(e.item_id) || "") + e.delta;
      interim.set(e.item_id, text);
      $("interim").textContent = text;
      break;
    }
    case "conversation.item.input_audio_transcription.completed": {
      interim.delete(e.item_id);
      $("interim").textContent = "";
      const card = turnFor(e.item_id);
      card.querySelector(".you").textContent = e.transcript;
      const lang = e.languages && e.languages[0] && e.languages[0].code;
      card.querySelector(".lang").textContent = lang || "";
      setTurnStatus(card, "heard");
      break;
    }
    case "response.created": {
      // A reply answers the latest transcribed item; without one (manual response) start fresh.
      const card = lastTurn && !lastTurn.dataset.responseId ? lastTurn : newTurn(e.response.id);
      card.dataset.responseId = e.response.id;
      responding = true;
      turns.set(e.response.id, card);
      setTurnStatus(card, "answering");
      setStatus("Answering... (speak to interrupt)");
      break;
    }
    case "response.output_audio_transcript.delta": {
      const card = turnFor(e.response_id);
      card.querySelector(".reply").textContent += e.delta;
      break;
    }
    case "response.output_audio.delta":
      playChunk(e.delta);
      break;
    case "response.done": {
      const r = e.response;
      responding = false;
      const card = turnFor(r.id);
      if (r.status === "cancelled") stopPlayback();
      setTurnStatus(card, r.status);
      showLatency(card, r.metadata || {});
      const spoken = r.output?.[0]?.content?.[0]?.transcript;
      if (spoken && !card.querySelector(".reply").textContent) {
        card.querySelector(".reply").textContent = spoken;
      }
      setStatus("Listening. Ask a question.");
      break;
    }
    case "conversation.handoff":
      if (lastTurn) lastTurn.querySelector(".handoff").hidden = false;
      break;
    case "error":
      serverError = e.error?.message || "error";
      setStatus(`Server: ${serverError}`, true);
      break;
    default:
      break;
  }
}

// --- microphone

async function startMic() {
  micStream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true,
      autoGainControl: true },
  });
  const source = ctx.createMediaStreamSource(micStream);
  await ctx.audioWorklet.addModule("/static/mic-worklet.js");
  micNode = new AudioWorkletNode(ctx, "mic-resampler", { numberOfInputs: 1,
    numberOfOutputs: 0 });
  const level = $("level");
  micNode.port.onmessage = (m) => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const pcm = new Int16Array(m.data);
    counters.sentSamples += pcm.length;
    let peak = 0;
    for (let i = 0; i < pcm.length; i += 8) peak = Math.max(peak, Math.abs(pcm[i]));
    level.style.width = `${Math.min(100, (peak / 32768) * 300)}%`;
    ws.send(JSON.stringify({ type: "input_audio_buffer.append", audio: toBase64(m.data) }));
    if (counters.sentSamples % (RATE / 2) < pcm.length) bump(); // ~2 updates a second
  };
  source.connect(micNode);
}

async function start() {
  const market = $("market").value;
  if (!market) return setStatus("Pick a market first.", true);
  const viewer = $("viewer").value.trim() || `demo-${Math.random().toString(36).slice(2, 8)}`;
  $("viewer").value = viewer;
  sessionStorage.setItem("demo.token", $("token").value.trim());
  sessionStorage.setItem("demo.viewer", viewer);
  $("start").disabled = true;
  $("stop").disabled = false;
  try {
    ctx = new AudioContext(); // created on the click, so the browser lets it play
    await ctx.resume();
    serverError = null;
    document.body.dataset.session = "connecting";
    const qs = new URLSearchParams({ model: market, viewer });
    const room = $("room").value.trim(); // empty: the server's default room of this market
    if (room) qs.set("room", room);
    const token = $("token").value.trim();
    if (token) qs.set("token", token);
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const sock = new WebSocket(`${proto}//${location.host}/v1/realtime?${qs}`);
    ws = sock;
    sock.onmessage = (m) => onEvent(JSON.parse(m.data));
    sock.onclose = (e) => {
      if (ws !== sock) return;
      if (serverError) {
        setStatus(`Server: ${serverError} (connection closed, code ${e.code}).`, true);
      } else {
        setStatus(`Disconnected${e.reason ? `: ${e.reason}` : ""} (code ${e.code}).`,
          e.code !== 1000 && e.code !== 1005);
      }
      stop();
    };
    await new Promise((resolve, reject) => {
      sock.onopen = resolve;
      sock.onerror = () => reject(new Error("could not connect to the voice service"));
    });
    // The server may refuse the session right after accepting (unknown market, room of another
    // market, busy): wait for session.created before asking for the microphone.
    await new Promise((resolve, reject) => {
      const check = () => {
        if (ws !== sock || sock.readyState !== WebSocket.OPEN) return reject(new Error("closed"));
        if (document.body.dataset.session === "ready") return resolve();
        setTimeout(check, 20);
      };
      check();
    });
    sock.send(JSON.stringify({ type: "session.update", session: { type: "realtime", audio: {
      input: { format: { type: "audio/pcm", rate: RATE } },
      output: { format: { type: "audio/pcm", rate: RATE } } } } }));
    await startMic();
  } catch (err) {
    if (serverError) setStatus(`Server: ${serverError}`, true);
    else setStatus(`Could not start: ${err.message}`, true);
    stop();
  }
}

function stop() {
  stopPlayback();
  responding = false;
  const sock = ws;
  ws = null;
  if (sock && sock.readyState <= WebSocket.OPEN) sock.close(1000);
  if (micStream) micStream.getTracks().forEach((t) => t.stop());
  micStream = null;
  if (micNode) micNode.disconnect();
  micNode = null;
  if (ctx) ctx.close();
  ctx = null;
  $("level").style.width = "0";
  $("start").disabled = false;
  $("stop").disabled = true;
  document.body.dataset.session = "stopped";
}

async function loadMarkets() {
  try {
    const r = await fetch("/v1/markets");
    const body = await r.json();
    const sel = $("market");
    sel.replaceChildren(...body.markets.map((m) => {
      const o = document.createElement("option");
      o.value = m.id;
      o.textContent = `${m.name} (${m.id}) - ${m.languages.join(", ")}`;
      return o;
    }));
    const wanted = new URLSearchParams(location.search).get("market");
    if (wanted) sel.value = wanted;
    document.body.dataset.markets = "loaded";
  } catch (err) {
    setStatus(`Could not load markets: ${err.message}`, true);
  }
}

$("setup").addEventListener("submit", (e) => {
  e.preventDefault();
  start();
});
$("stop").addEventListener("click", () => {
  stop();
  setStatus("Stopped.");
});
$("token").value = sessionStorage.getItem("demo.token") ?? "";
$("viewer").value = sessionStorage.getItem("demo.viewer") ?? "";
loadMarkets();
