/* The organizer's attendance page: one tap marks ATTENDED / NO_SHOW through GraphQL; without
   a connection the mark is queued in the app's outbox (replayed once, same as sign-ups).
   The check-in codes rotate, so the page re-reads them every minute while online. */
const $ = (sel, root = document) => root.querySelector(sel);
const ops = JSON.parse($("#organizer-ops").textContent);
const notices = $("#notices");

function say(text, kind) {
  const p = document.createElement("p");
  p.className = `notice ${kind}`;
  p.textContent = text;
  notices.append(p);
  setTimeout(() => p.remove(), 6000);
}

async function refresh() {
  if (!navigator.onLine) return;
  try {
    const response = await fetch(location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    if (doc.body.dataset.served === "cache") return;
    const fresh = $("#main", doc);
    if (!fresh) return;
    // The duplicate and on-site forms keep what the leader is typing (and are left alone
    // while focused).
    for (const sel of [".duplicate", ".on-site"]) {
      const typing = $(`#main ${sel}`);
      if (typing?.contains(document.activeElement)) return;
      if (typing) $(sel, fresh)?.replaceWith(typing);
    }
    $("#main").replaceChildren(...fresh.childNodes);
  } catch { /* offline: keep what is shown */ }
}

document.addEventListener("submit", async (e) => {
  const form = e.target.closest("form[data-organizer]");
  if (!form) return;
  e.preventDefault();
  const data = new FormData(form);
  const status = e.submitter?.value || data.get("status");
  const variables = { signupId: data.get("signupId"), status };
  const hours = (data.get("hours") || "").trim();
  if (hours) variables.hours = Number(hours);
  const label = data.get("label") || "";
  const item = { op: "MarkAttendance", query: ops.MarkAttendance, variables, label, path: location.pathname };
  form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  try {
    const response = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "Accept-Language": document.documentElement.lang },
      body: JSON.stringify({ query: item.query, variables, operationName: item.op }),
    });
    if (response.status >= 500) throw new Error(String(response.status));
    const body = await response.json();
    const errors = body.data?.markAttendance?.userErrors || body.errors || [];
    if (errors.length) say(`${label}: ${errors[0].message}`, "bad");
    await refresh();
  } catch {
    if (self.LinliOutbox) {
      await self.LinliOutbox.add(item);
      say(`${label}: ${JSON.parse($("#strings").textContent).pending}`, "pending");
    } else {
      say(JSON.parse($("#strings").textContent).network, "bad");
      form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    }
  }
});

setInterval(refresh, 60_000);
