/* Linli's page script: offline-aware actions (through the outbox), log in / register,
   the offline marker, and the service worker. Plain ES module, no dependencies. */
const $ = (sel, root = document) => root.querySelector(sel);
const strings = JSON.parse($("#strings").textContent);
const operations = JSON.parse($("#operations").textContent);
const outbox = self.LinliOutbox;
const notices = $("#notices");
const QUEUED = new Set(["SignUp", "CancelSignup", "CheckIn"]);

const fmt = (text, values) => text.replace(/%\((\w+)\)s/g, (_, k) => (values[k] ?? ""));

function notice(text, kind, id) {
  let p = id && document.getElementById(id);
  if (!p) {
    p = document.createElement("p");
    if (id) p.id = id;
    notices.append(p);
  }
  p.className = `notice ${kind}`;
  p.textContent = text;
  return p;
}

/* The server's answer, in words. */
function describe(result) {
  const values = { role: result.label || "", position: "" };
  if (!result.ok) return [fmt(strings.refused, { reason: strings[result.code] || result.message }), "bad"];
  const s = result.signup || {};
  if (result.op === "CancelSignup") return [fmt(strings.cancelled, values), "ok"];
  if (result.op === "CheckIn") return [fmt(strings.attended, values), "ok"];
  if (result.op === "MarkAttendance") { // queued by organizer.js; the label is the volunteer's name
    return [fmt(s.status === "NO_SHOW" ? strings.marked_no_show : strings.marked_attended, { name: result.label || "" }), "ok"];
  }
  if (s.status === "WAITLISTED") return [fmt(strings.waitlisted, { ...values, position: s.waitlistPosition }), "ok"];
  return [fmt(strings.confirmed, values), "ok"];
}

/* Re-reads this page (through the service worker, which keeps the fresh copy). */
async function refreshMain() {
  try {
    const response = await fetch(location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (!response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = $("#main", doc);
    if (fresh && doc.body.dataset.served !== "cache") {
      $("#main").replaceChildren(...fresh.childNodes);
      markPending(await outbox.pending());
    }
  } catch { /* offline: keep what is shown */ }
}

async function showResults() {
  const results = await outbox.takeResults();
  for (const r of results) {
    document.getElementById(`pending-${r.key}`)?.remove();
    const [text, kind] = describe(r);
    notice(text, kind, `result-${r.key}`);
  }
  if (results.length) await refreshMain();
  return results.length;
}

function markPending(items) {
  for (const item of items) {
    notice(`${item.label ? item.label + ": " : ""}${strings.pending}`, "pending", `pending-${item.key}`);
    const form = document.querySelector(`form[data-key="${item.key}"]`) ||
      document.querySelector(`form[data-action="${item.op}"] input[value="${CSS.escape(Object.values(item.variables)[0])}"]`)?.form;
    const button = form?.querySelector("button[type=submit]");
    if (button) button.disabled = true;
  }
}

/* One replay at a time. A flush asked for while one runs (a tap during the replay started on
   load) runs again after it, so an item added meanwhile is never left waiting; several such
   requests share that one follow-up. */
let flushing = null;
let following = null;
let retry = 0;
function flush() {
  if (following) return following;
  if (flushing) {
    following = flushing.then(() => { following = null; return flush(); });
    return following;
  }
  flushing = (async () => {
    const left = await outbox.flush();
    await showResults();
    clearTimeout(retry);
    if (left) retry = setTimeout(flush, 3000); // no answer yet: keep trying while the page is open
    return left;
  })().finally(() => { flushing = null; });
  return flushing;
}

async function queue(op, variables, label) {
  const item = await outbox.add({ op, query: operations[op], variables, label, path: location.pathname });
  notice(strings.sending, "pending", `pending-${item.key}`);
  const left = await flush();
  if (left) {
    markPending(await outbox.pending());
    const reg = await navigator.serviceWorker?.ready.catch(() => null);
    reg?.sync?.register("linli-outbox").catch(() => {});
  }
}

async function graphql(op, variables) {
  const response = await fetch("/graphql", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ query: operations[op], variables, operationName: op }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new Error(body.errors[0].message);
  return body.data;
}

function showFieldErrors(form, errors) {
  for (const p of form.querySelectorAll(".field-error")) { p.hidden = true; p.textContent = ""; }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  let first = null;
  for (const e of errors) {
    const field = (e.field || []).at(-1) || "";
    const p = form.querySelector(`.field-error[data-field="${field}"]`) || form.querySelector('.field-error[data-field=""]');
    p.hidden = false;
    p.textContent += `${strings[e.code] && e.code !== "INVALID_INPUT" ? strings[e.code] : e.message} `;
    const input = form.elements[field];
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", p.id);
      first ||= input;
    }
  }
  (first || form.querySelector("input:not([type=hidden])"))?.focus();
}

async function forgetPages() {
  if (!self.caches) return;
  for (const name of await caches.keys()) if (name.startsWith("linli-pages")) await caches.delete(name);
}

function askToConfirm(form) {
  const box = document.createElement("div");
  box.className = "confirm-box";
  box.setAttribute("role", "group");
  box.innerHTML = `<p></p><button type="submit" class="danger" data-confirmed></button><button type="button" class="secondary"></button>`;
  box.querySelector("p").textContent = strings.confirm_cancel;
  box.querySelector("[data-confirmed]").textContent = strings.yes_cancel;
  const keep = box.querySelector("button[type=button]");
  keep.textContent = strings.keep;
  const original = form.querySelector("button[type=submit]");
  original.hidden = true;
  keep.addEventListener("click", () => { box.remove(); original.hidden = false; original.focus(); });
  form.append(box);
  box.querySelector("[data-confirmed]").focus();
}

/* "Send me a code": asks for an SMS code for the form's phone, then counts down to the next. */
function countdown(button, seconds) {
  const label = (button.dataset.label ||= button.textContent);
  const end = Date.now() + seconds * 1000;
  const tick = () => {
    const left = Math.ceil((end - Date.now()) / 1000);
    button.disabled = left > 0;
    button.textContent = left > 0 ? fmt(strings.send_again_in, { seconds: left }) : label;
    if (left > 0) setTimeout(tick, 1000);
  };
  tick();
}

async function sendCode(form, button) {
  const phone = form.elements.phone?.value || "";
  const sent = form.querySelector(".code-sent");
  button.disabled = true;
  try {
    const payload = (await graphql("RequestPhoneCode", { phone, purpose: form.dataset.purpose })).requestPhoneCode;
    if (payload.userErrors.length) {
      if (sent) sent.hidden = true;
      showFieldErrors(form, payload.userErrors);
    } else {
      showFieldErrors(form, []);
      if (sent) { sent.textContent = fmt(strings.code_sent, { phone }); sent.hidden = false; }
      form.elements.code?.focus();
    }
    countdown(button, payload.retryAfterSeconds || 0);
  } catch {
    button.disabled = false;
    notice(navigator.onLine ? strings.network : strings.offline, "bad", "net-error");
  }
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (event.submitter?.value === "send_code" && form.dataset.purpose && operations.RequestPhoneCode) {
    event.preventDefault();
    await sendCode(form, event.submitter);
    return;
  }
  const op = form.dataset.action;
  if (!op || !operations[op]) {
    if (form.matches("[data-loading]")) {
      const results = $("#results");
      results?.setAttribute("aria-busy", "true");
      if (results) $(".loading", results).hidden = false;
    }
    return;
  }
  event.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  const label = data.role || "";
  if (QUEUED.has(op)) {
    if (form.hasAttribute("data-confirm") && !event.submitter?.hasAttribute("data-confirmed")) {
      askToConfirm(form);
      return;
    }
    form.querySelector("button[type=submit]:not([hidden])")?.setAttribute("disabled", "");
    const variables =
      op === "SignUp" ? { shiftId: data.shiftId, idempotencyKey: outbox.newKey() }
      : op === "CancelSignup" ? { signupId: data.signupId }
      : { shiftId: data.shiftId, code: (data.code || "").trim() };
    await queue(op, variables, label);
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button?.setAttribute("aria-busy", "true");
  try {
    if (op === "LogOut" || op === "LogOutEverywhere") {
      await graphql(op, {});
      await outbox.clear();
      await forgetPages();
      location.assign(op === "LogOut" ? "/" : "/login");
      return;
    }
    const { action, next, ...variables } = data;
    const payload = Object.values(await graphql(op, variables))[0];
    if (payload.userErrors?.length) showFieldErrors(form, payload.userErrors);
    else if (op === "JoinTeam") await refreshMain();
    else if (op === "ChangePassword") location.assign("/me?notice=PASSWORD_CHANGED#account");
    else if (op === "MarkNotificationsRead") {
      for (const badge of document.querySelectorAll(".badge[data-unread]")) badge.remove();
      await refreshMain();
    }
    else {
      await forgetPages(); // pages kept for the previous visitor are not this one's
      location.assign(next || "/me");
    }
  } catch {
    notice(navigator.onLine ? strings.network : strings.offline, "bad", "net-error");
  } finally {
    button?.removeAttribute("aria-busy");
  }
});

function markOffline() {
  if (document.body.dataset.served === "cache") $("#offline-note").hidden = false;
}

async function start() {
  markOffline();
  if (outbox) {
    markPending(await outbox.pending());
    await showResults();
    flush();
    addEventListener("online", flush);
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") flush(); });
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", (e) => { if (e.data?.type === "outbox") showResults(); });
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
    if (!navigator.serviceWorker.controller) {
      navigator.serviceWorker.ready.then((reg) => reg.active?.postMessage({ type: "keep", url: location.href }));
    }
  }
}
start();
