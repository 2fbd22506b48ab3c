/* Live seat counts on an event page (progressive enhancement): one WebSocket to this site's
   /graphql (graphql-transport-ws), one `eventUpdated` subscription, and each shift's seat line
   rewritten when its numbers change. Without JavaScript, WebSockets or a network, the page
   keeps the counts it was served with. Texts come from the page (#live-seats, the catalogs). */
const config = JSON.parse(document.getElementById("live-seats").textContent);
const SEATS = `subscription LiveSeats($id: ID!) {
  eventUpdated(eventId: $id) { shifts { id capacity seatsLeft waitlistCount } } }`;
const fmt = (text, values) => text.replace(/%\((\w+)\)s/g, (_, k) => String(values[k] ?? ""));
const plural = (n, one, other) => fmt(n === 1 ? one : other, { num: n });

function render(line, shift) {
  const span = document.createElement("span");
  const parts = [span];
  if (shift.seatsLeft > 0) {
    span.className = "seats";
    span.textContent = fmt(shift.seatsLeft === 1 ? config.left_one : config.left_other,
      { num: shift.seatsLeft, total: shift.capacity });
  } else {
    span.className = "seats full";
    span.textContent = config.full;
    if (shift.waitlistCount) {
      parts.push(` · ${plural(shift.waitlistCount, config.waiting_one, config.waiting_other)}`);
    }
  }
  if (line.textContent.trim() !== parts.map((p) => p.textContent ?? p).join("").trim()) {
    line.replaceChildren(...parts);
  }
}

function update(shifts) {
  for (const shift of shifts) {
    const line = document.querySelector(`[data-live-seats="${CSS.escape(shift.id)}"]`);
    if (line) render(line, shift);
  }
}

let retries = 0;
function connect() {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
  let socket;
  try {
    socket = new WebSocket(url, "graphql-transport-ws");
  } catch { return; }
  socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "connection_ack") {
      retries = 0;
      socket.send(JSON.stringify({
        id: "seats", type: "subscribe", payload: { query: SEATS, variables: { id: config.event } },
      }));
    } else if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    } else if (message.type === "next" && message.payload?.data?.eventUpdated) {
      update(message.payload.data.eventUpdated.shifts);
    } else if (message.type === "error" || message.type === "complete") {
      retries = Infinity; // the event is gone or hidden: the page says what it knew
      socket.close();
    }
  });
  socket.addEventListener("close", () => {
    if (retries >= 6) return;
    retries += 1;
    setTimeout(() => { if (document.visibilityState !== "hidden") connect(); else waitVisible(); },
      1000 * 2 ** retries);
  });
}

function waitVisible() {
  document.addEventListener("visibilitychange", function again() {
    if (document.visibilityState === "hidden") return;
    document.removeEventListener("visibilitychange", again);
    connect();
  });
}

if ("WebSocket" in self && config.event) connect();
