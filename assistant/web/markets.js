// The operator's markets console: edit a market's products in place, try a question against the
// draft, publish with the version it was based on, and browse / diff / roll back its history.
// Everything goes through /v1/operator; the server validates, so this page never decides what
// is valid. Market and history text only ever goes into textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const API = "/v1/operator";
const TOKEN_KEY = "markets.token";

const state = {
  markets: [],
  id: null, // selected market id
  doc: null, // the published documents as last read: {version, market, products, faq, ...}
  dirty: false,
};

function setStatus(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

function token() {
  return $("token").value.trim();
}

// One request to the operator API; resolves to {status, data} and never throws on HTTP errors.
async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let r;
  try {
    r = await fetch(API + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    return { status: 0, data: { error: { message: `network error: ${e.message}` } } };
  }
  let data = null;
  try {
    data = await r.json();
  } catch {
    data = { error: { message: `HTTP ${r.status}` } };
  }
  return { status: r.status, data };
}

function errorText(res) {
  const d = res.data || {};
  if (res.status === 401) return "No token: enter your operator token.";
  if (res.status === 403) return "This token is not an operator token.";
  return d.error?.message || (typeof d.detail === "string" ? d.detail : `HTTP ${res.status}`);
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(e.dataset, v);
    else if (k === "class") e.className = v;
    else e[k] = v;
  }
  for (const c of children) e.append(c);
  return e;
}

function localized(value, lang) {
  if (value == null) return "";
  if (typeof value !== "object") return String(value);
  return value[lang] ?? Object.values(value)[0] ?? "";
}

function languages() {
  return state.doc?.market?.languages ?? [];
}

// --- markets

function marketLabel(m) {
  return `${m.id} - ${m.name ?? "?"} (v${m.version})${m.serving ? "" : " - NOT SERVING"}`;
}

async function loadMarkets() {
  sessionStorage.setItem(TOKEN_KEY, token());
  setStatus("Loading markets...");
  const res = await api("GET", "/markets");
  if (res.status !== 200) {
    setStatus(errorText(res), true);
    return;
  }
  state.markets = res.data.markets;
  const sel = $("market-select");
  sel.replaceChildren(...state.markets.map((m) => el("option", {
    value: m.id, textContent: marketLabel(m),
  })));
  sel.disabled = state.markets.length === 0;
  const refused = res.data.refused ?? [];
  $("refused").hidden = refused.length === 0;
  $("refused").textContent = refused.map((m) => (m.serving_last_good
    ? `Market ${m.id}: the files on disk were refused; its last good version keeps serving: `
    : `Market ${m.id} is not being served: `) +
    m.problems.map((p) => `${p.file} ${p.field}: ${p.message}`).join("; ")).join("\n");
  if (state.markets.length === 0) {
    setStatus("No markets found in the prompts folder.", true);
    return;
  }
  const wanted = location.hash.slice(1);
  sel.value = state.markets.some((m) => m.id === wanted) ? wanted : state.markets[0].id;
  await selectMarket(sel.value);
}

async function selectMarket(id) {
  if (state.dirty && id !== state.id &&
      !confirm(`Drop your unsaved edits to ${state.id}?`)) {
    $("market-select").value = state.id;
    return;
  }
  history.replaceState(null, "", `#${id}`);
  await loadMarket(id);
}

async function loadMarket(id) {
  setStatus(`Loading ${id}...`);
  const res = await api("GET", `/markets/${encodeURIComponent(id)}`);
  if (res.status !== 200) {
    setStatus(errorText(res), true);
    return false;
  }
  state.id = id;
  state.doc = res.data;
  const entry = state.markets.find((m) => m.id === id);
  if (entry) {
    entry.version = state.doc.version;
    const opt = [...$("market-select").options].find((o) => o.value === id);
    if (opt) opt.textContent = marketLabel(entry);
  }
  render();
  await Promise.all([loadHistory(), loadQuestions()]);
  setStatus(`Market ${id}, version ${state.doc.version}.`);
  return true;
}

// --- the editor

function render() {
  const doc = state.doc;
  $("editor").hidden = false;
  $("version").textContent = doc.version;
  $("conflict").hidden = true;
  clearProblems();
  const currency = doc.market?.currency ?? "";
  const langs = languages();
  const tpl = $("product-tpl");
  const cards = (doc.products ?? []).map((p, i) => {
    const card = tpl.content.firstElementChild.cloneNode(true);
    card.dataset.sku = p.sku;
    card.dataset.index = i;
    card.querySelector(".pname").textContent = localized(p.name, langs[0]);
    card.querySelector(".sku").textContent = p.sku;
    for (const c of card.querySelectorAll(".currency")) c.textContent = currency;
    card.querySelector("input[name=price]").value = p.price ?? "";
    card.querySelector("input[name=sale_price]").value = p.sale_price ?? "";
    const pointLangs = [...new Set([...langs, ...Object.keys(p.selling_points ?? {})])];
    card.querySelector(".points").replaceChildren(...pointLangs.map((lang) => el("label",
      { class: "block" }, `Selling points (${lang})`,
      el("textarea", {
        name: "selling_points", rows: 2, dataset: { lang },
        value: (p.selling_points?.[lang] ?? []).join("\n"),
      }))));
    const variants = p.variants ?? [];
    card.querySelector(".total").textContent =
      variants.reduce((n, v) => n + (Number(v.stock) || 0), 0);
    card.querySelector(".variants tbody").replaceChildren(...variants.map((v, j) => el("tr",
      { dataset: { variant: j } },
      el("td", { textContent: v.size ?? "" }),
      el("td", { textContent: v.color ?? "" }),
      el("td", {}, el("input", {
        name: "stock", type: "number", min: 0, step: 1, value: v.stock ?? "",
        ariaLabel: `stock ${v.size ?? ""} ${v.color ?? ""}`,
        dataset: { variant: j, size: v.size ?? "", color: v.color ?? "" },
      })))));
    return card;
  });
  $("products").replaceChildren(...cards);
  $("system-prompt").value = doc.system_prompt ?? "";
  $("market-json").value = JSON.stringify(doc.market ?? {}, null, 2);
  $("faq-json").value = JSON.stringify(doc.faq ?? [], null, 2);
  const tryLang = $("try-lang");
  const before = tryLang.value;
  tryLang.replaceChildren(el("option", { value: "", textContent: "auto-detect" }),
    ...langs.map((l) => el("option", { value: l, textContent: l })));
  // Auto-detect unless the operator picked a language: viewers don't pick one either.
  tryLang.value = langs.includes(before) ? before : "";
  // A Try answer shown before a publish or reload spoke of data that is gone.
  $("try-answer").textContent = "";
  $("try-meta").textContent = "";
  setDirty(false);
}

function setDirty(dirty) {
  state.dirty = dirty;
  $("dirty").hidden = !dirty;
  $("publish").disabled = !dirty;
  $("discard").disabled = !dirty;
}

function numberOrNull(input) {
  const v = input.value.trim();
  // A number input that holds junk reports "": send null so the server names the field.
  return v === "" ? null : Number(v);
}

class DraftError extends Error {
  constructor(file, field, message) {
    super(message);
    this.problem = { file, field, message };
  }
}

function parseJson(id, file) {
  try {
    return JSON.parse($(id).value);
  } catch (e) {
    throw new DraftError(file, "", `not valid JSON: ${e.message}`);
  }
}

// The four documents as the page holds them now; the server leaves unchanged ones alone.
function draft() {
  const products = structuredClone(state.doc.products ?? []);
  for (const card of $("products").querySelectorAll(".product")) {
    const p = products[Number(card.dataset.index)];
    p.price = numberOrNull(card.querySelector("input[name=price]"));
    const sale = numberOrNull(card.querySelector("input[name=sale_price]"));
    if (sale === null) delete p.sale_price;
    else p.sale_price = sale;
    const points = { ...(p.selling_points ?? {}) };
    for (const ta of card.querySelectorAll("textarea[name=selling_points]")) {
      const lines = ta.value.split("\n").map((s) => s.trim()).filter(Boolean);
      if (lines.length) points[ta.dataset.lang] = lines;
      else delete points[ta.dataset.lang];
    }
    if (Object.keys(points).length) p.selling_points = points;
    else delete p.selling_points;
    for (const input of card.querySelectorAll("input[name=stock]")) {
      p.variants[Number(input.dataset.variant)].stock = numberOrNull(input);
    }
  }
  return {
    products,
    market: parseJson("market-json", "market.yaml"),
    faq: parseJson("faq-json", "faq.yaml"),
    system_prompt: $("system-prompt").value,
  };
}

// --- validation problems

function clearProblems() {
  $("problems-box").hidden = true;
  $("problems").replaceChildren();
  for (const e of document.querySelectorAll(".invalid")) e.classList.remove("invalid");
  for (const ul of document.querySelectorAll(".field-errors")) ul.replaceChildren();
  for (const e of document.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
}

const FIELD_NAMES = ["sale_price", "price", "selling_points", "variants", "stock"];

// Where a products.yaml problem belongs: the product card and, when known, the input.
// Fields look like "[1]", "[1].price", "[1].variants[0].stock", "[1].selling_points.en".
function locate(problem) {
  const m = /^\[(\d+)\](?:\.(\w+))?(?:\[(\d+)\])?(?:\.(\w+))?/.exec(problem.field);
  if (!m) return {};
  const card = $("products").querySelector(`.product[data-index="${m[1]}"]`);
  if (!card) return {};
  // A whole-product problem ("[1]") names its field in the message.
  const name = m[2] ?? FIELD_NAMES.find((f) => new RegExp(`\\b${f}\\b`).test(problem.message));
  let input = null;
  if (name === "price" || name === "sale_price") {
    input = card.querySelector(`input[name=${name}]`);
  } else if (name === "variants" && m[3] !== undefined) {
    input = card.querySelector(`input[name=stock][data-variant="${m[3]}"]`);
    card.querySelector(".variants-box").open = true;
  } else if (name === "selling_points") {
    input = (m[4] && card.querySelector(`textarea[data-lang="${m[4]}"]`)) ||
      card.querySelector("textarea[name=selling_points]");
  }
  return { card, input };
}

const ADVANCED = { "market.yaml": "market-json", "faq.yaml": "faq-json",
  "system_prompt.md": "system-prompt" };

// While problems are shown, each edit re-validates the draft (debounced), so a fixed field
// clears its problem at once instead of waiting for the next publish.
let revalidateTimer = null;

function edited() {
  setDirty(true);
  if ($("problems-box").hidden) return;
  clearTimeout(revalidateTimer);
  revalidateTimer = setTimeout(revalidate, 300);
}

async function revalidate() {
  let docs;
  try {
    docs = draft();
  } catch (e) {
    if (!(e instanceof DraftError)) throw e;
    showProblems([e.problem], false);
    return;
  }
  const res = await api("POST", `/markets/${encodeURIComponent(state.id)}/validate`, docs);
  if (res.status === 200) {
    clearProblems();
    setStatus("The edits are valid now; publish when ready.");
  } else if (res.status === 422 && res.data.error?.problems) {
    showProblems(res.data.error.problems, false);
  }
}

function showProblems(problems, scroll = true) {
  clearProblems();
  for (const p of problems) {
    let where = p.field ? `${p.file} ${p.field}` : p.file;
    const index = /^\[(\d+)\]/.exec(p.field ?? "");
    const sku = p.file === "products.yaml" && index && state.doc.products?.[index[1]]?.sku;
    if (sku) where += ` (${sku})`;
    $("problems").append(el("li", {}, el("code", { textContent: where }), `: ${p.message}`));
    if (p.file === "products.yaml") {
      const { card, input } = locate(p);
      if (card) {
        card.classList.add("invalid");
        card.querySelector(".field-errors").append(el("li", {
          class: "field-error", textContent: `${p.field}: ${p.message}`,
          dataset: { field: p.field },
        }));
      }
      if (input) {
        input.classList.add("invalid");
        input.setAttribute("aria-invalid", "true");
      }
    } else if (ADVANCED[p.file]) {
      $("advanced").open = true;
      $(ADVANCED[p.file]).classList.add("invalid");
    }
  }
  $("problems-box").hidden = problems.length === 0;
  if (scroll) document.querySelector(".invalid")?.scrollIntoView({ block: "center" });
}

// --- publish, try

async function publish() {
  let docs;
  try {
    docs = draft();
  } catch (e) {
    if (!(e instanceof DraftError)) throw e;
    showProblems([e.problem]);
    return;
  }
  $("publish").disabled = true;
  setStatus("Publishing...");
  const res = await api("PUT", `/markets/${encodeURIComponent(state.id)}`,
    { ...docs, base_version: state.doc.version });
  if (res.status === 200) {
    const v = res.data;
    await loadMarket(state.id);
    setStatus(v.changed ? `Published version ${v.version}: ${v.summary}`
      : "Nothing changed: the published data already matches.");
    return;
  }
  $("publish").disabled = false;
  if (res.status === 422 && res.data.error?.problems) {
    showProblems(res.data.error.problems);
    setStatus("Not published: the data has problems (listed below). Nothing was changed.", true);
  } else if (res.status === 409) {
    showConflict(res.data.error?.current_version);
  } else {
    setStatus(`Publish failed: ${errorText(res)}`, true);
  }
}

function showConflict(current) {
  $("conflict-text").textContent = `Someone else published version ${current ?? "?"} of ` +
    `${state.id} after you loaded version ${state.doc.version}. Nothing of yours was saved. ` +
    "Reload to see their version, then apply your change again.";
  $("conflict").hidden = false;
  setStatus("Not published: version conflict.", true);
}

async function tryQuestion(ev) {
  ev.preventDefault();
  const text = $("try-text").value.trim();
  if (!text) {
    $("try-text").focus();
    return;
  }
  let docs;
  try {
    docs = draft();
  } catch (e) {
    if (!(e instanceof DraftError)) throw e;
    showProblems([e.problem]);
    return;
  }
  $("try-answer").textContent = "...";
  $("try-meta").textContent = "";
  const body = { text, draft: state.dirty ? docs : undefined };
  if ($("try-lang").value) body.lang = $("try-lang").value;
  const res = await api("POST", `/markets/${encodeURIComponent(state.id)}/try`, body);
  if (res.status === 200) {
    $("try-answer").textContent = res.data.answer;
    $("try-answer").classList.remove("error");
    $("try-meta").textContent = `language ${res.data.lang} - topic ${res.data.topic}` +
      (res.data.sku ? ` - product ${res.data.sku}` : "") +
      (res.data.needs_host ? " - live, this reply creates a task for the host" : "") +
      (res.data.draft ? " - from your unpublished edits" : " - from the published data");
  } else {
    $("try-answer").textContent = "";
    if (res.status === 422 && res.data.error?.problems) {
      showProblems(res.data.error.problems);
      $("try-meta").textContent = "Your edits have problems (listed at the top); fix them to try.";
    } else {
      $("try-meta").textContent = `Try failed: ${errorText(res)}`;
    }
  }
}

// --- history, diff, rollback

function fmtWhen(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

async function loadHistory() {
  const res = await api("GET", `/markets/${encodeURIComponent(state.id)}/versions`);
  if (res.status !== 200) {
    $("history").replaceChildren(el("li", { textContent: errorText(res) }));
    return;
  }
  const current = state.doc.version;
  $("history").replaceChildren(...res.data.versions.map((v) => {
    const buttons = el("span", { class: "actions" });
    if (v.version !== current) {
      buttons.append(
        el("button", { type: "button", class: "secondary", id: `diff-${v.version}`,
          textContent: "Diff vs current", onclick: () => showDiff(v.version) }),
        el("button", { type: "button", class: "secondary", id: `rollback-${v.version}`,
          textContent: "Roll back to this", onclick: () => rollback(v.version) }));
    } else {
      buttons.append(el("span", { class: "badge", textContent: "current" }));
    }
    return el("li", { dataset: { version: v.version } },
      el("div", { class: "meta" }, el("b", { textContent: `v${v.version}` }),
        el("span", { textContent: v.who }), el("span", { textContent: fmtWhen(v.when) }),
        el("span", { class: "chip", textContent: v.action })),
      el("div", { class: "summary-line", textContent: v.summary }), buttons);
  }));
}

async function showDiff(n) {
  const res = await api("GET",
    `/markets/${encodeURIComponent(state.id)}/diff?from=${encodeURIComponent(n)}`);
  if (res.status !== 200) {
    setStatus(`Diff failed: ${errorText(res)}`, true);
    return;
  }
  $("diff-title").textContent = `Changes from v${res.data.from} to v${res.data.to} (current)`;
  const files = Object.entries(res.data.files);
  const blocks = files.map(([file, text]) => el("div", { class: "diff-file" },
    el("h4", { textContent: file }),
    el("pre", {}, ...text.split("\n").map((line) => el("span", {
      class: line.startsWith("+") && !line.startsWith("+++") ? "add"
        : line.startsWith("-") && !line.startsWith("---") ? "del"
          : line.startsWith("@@") ? "hunk" : "",
      textContent: `${line}\n`,
    })))));
  $("diff").replaceChildren(...(blocks.length ? blocks
    : [el("p", { class: "hint", textContent: "No differences: same files." })]));
  $("diff-box").hidden = false;
  $("diff-box").scrollIntoView({ block: "nearest" });
}

async function rollback(n) {
  const lost = state.dirty ? " Your unsaved edits will be dropped." : "";
  if (!confirm(`Roll ${state.id} back to version ${n}? This publishes a new version with ` +
    `the data of version ${n}; live rooms use it at once.${lost}`)) return;
  setStatus(`Rolling back to version ${n}...`);
  const res = await api("POST", `/markets/${encodeURIComponent(state.id)}/rollback`,
    { version: n, base_version: state.doc.version });
  if (res.status === 200) {
    $("diff-box").hidden = true;
    await loadMarket(state.id);
    setStatus(`Rolled back: version ${res.data.version} has the data of version ${n}.`);
  } else if (res.status === 409) {
    showConflict(res.data.error?.current_version);
  } else if (res.status === 422 && res.data.error?.problems) {
    showProblems(res.data.error.problems);
    setStatus(`Version ${n} does not pass today's checks; nothing was changed.`, true);
  } else {
    setStatus(`Rollback failed: ${errorText(res)}`, true);
  }
}

// --- wiring

$("connect").addEventListener("submit", (ev) => {
  ev.preventDefault();
  loadMarkets();
});
$("market-select").addEventListener("change", (ev) => selectMarket(ev.target.value));
$("products").addEventListener("input", edited);
$("advanced").addEventListener("input", edited);
$("questions").addEventListener("click", onQuestionClick);
$("questions").addEventListener("submit", onFaqSubmit);
$("publish").addEventListener("click", publish);
$("discard").addEventListener("click", () => render());
$("reload").addEventListener("click", () => loadMarket(state.id));
$("try-form").addEventListener("submit", tryQuestion);
$("diff-close").addEventListener("click", () => {
  $("diff-box").hidden = true;
});
window.addEventListener("beforeunload", (ev) => {
  if (state.dirty) ev.preventDefault();
});

$("token").value = sessionStorage.getItem(TOKEN_KEY) ?? "";
if (token()) loadMarkets();

// --- unanswered questions: what the bot had to promise to check, grouped and counted

async function loadQuestions() {
  const res = await api("GET", `/markets/${encodeURIComponent(state.id)}/questions`);
  const list = $("questions");
  if (res.status !== 200) {
    list.replaceChildren(el("li", { class: "error", textContent: errorText(res) }));
    return;
  }
  const groups = res.data.questions;
  $("questions-empty").hidden = groups.length > 0;
  list.replaceChildren(...groups.map((g) => el("li", { class: "question", dataset: { id: g.id } },
    el("div", {},
      el("b", { class: "qtext", textContent: g.text }), " ",
      el("span", { class: "chip", textContent: g.lang }), " ",
      el("span", { class: "hint", textContent:
        `asked ${g.asks}x by ${g.viewers} viewer${g.viewers === 1 ? "" : "s"}` })),
    el("div", { class: "row" },
      el("button", { type: "button", class: "to-faq", textContent: "Answer as FAQ" }),
      el("button", { type: "button", class: "dismiss secondary", textContent: "Dismiss" })),
    faqForm(g))));
}

function faqForm(g) {
  const form = el("form", { class: "faq-form", hidden: true, autocomplete: "off" });
  for (const lang of languages()) {
    form.append(el("label", { class: "block" }, `Answer (${lang})`,
      el("textarea", { name: "answer", rows: 2, required: true, dataset: { lang } })));
  }
  form.append(el("button", { type: "submit", textContent: "Add to FAQ and publish" }),
    el("div", { class: "status-line faq-status" }));
  return form;
}

async function onQuestionClick(ev) {
  const item = ev.target.closest(".question");
  if (!item) return;
  if (ev.target.classList.contains("to-faq")) {
    const form = item.querySelector(".faq-form");
    form.hidden = !form.hidden;
    if (!form.hidden) form.querySelector("textarea")?.focus();
  } else if (ev.target.classList.contains("dismiss")) {
    const res = await api("POST", `/markets/${encodeURIComponent(state.id)}/questions/` +
      `${encodeURIComponent(item.dataset.id)}/dismiss`);
    if (res.status === 200) await loadQuestions();
    else setStatus(`Dismiss failed: ${errorText(res)}`, true);
  }
}

async function onFaqSubmit(ev) {
  ev.preventDefault();
  const form = ev.target;
  const item = form.closest(".question");
  const answer = {};
  for (const ta of form.querySelectorAll("textarea[name=answer]")) {
    if (ta.value.trim()) answer[ta.dataset.lang] = ta.value.trim();
  }
  const res = await api("POST", `/markets/${encodeURIComponent(state.id)}/questions/` +
    `${encodeURIComponent(item.dataset.id)}/faq`, { answer, base_version: state.doc.version });
  const out = form.querySelector(".faq-status");
  if (res.status === 200) {
    await loadMarket(state.id);
    setStatus(`Added FAQ ${res.data.faq.id}: published version ${res.data.version}.`);
  } else if (res.status === 409) {
    out.textContent = "The market changed since you loaded it: reload, then try again.";
    out.classList.add("error");
  } else {
    out.textContent = errorText(res) + (res.data.error?.problems
      ? ": " + res.data.error.problems.map((p) => `${p.field} ${p.message}`).join("; ") : "");
    out.classList.add("error");
  }
}
