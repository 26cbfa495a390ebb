/**
 * Talking to the api: plain functions over `fetch` and `EventSource` (both injectable), so the
 * unit tests run them without a browser.
 */

/** The four services an order must cross, in the order it crosses them. */
export const HOPS = [
  { key: "postgresql", label: "PostgreSQL" },
  { key: "kafka", label: "Kafka" },
  { key: "redis", label: "Redis" },
  { key: "mqtt", label: "MQTT" },
];

async function json(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const detail = body && (body.error || (typeof body.detail === "string" ? body.detail : null));
    throw new Error(`the api answered ${response.status}${detail ? `: ${detail}` : ""}`);
  }
  return body;
}

/** Validates the form and creates the order; returns the api's view of it. */
export async function createOrder(item, quantity, fetchImpl = fetch) {
  const name = String(item ?? "").trim();
  const count = Number(quantity);
  if (!name) throw new Error("enter an item");
  if (!Number.isInteger(count) || count < 1 || count > 10000) throw new Error("quantity must be a whole number from 1 to 10000");
  const response = await fetchImpl("/api/orders", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ item: name, quantity: count }),
  });
  return json(response);
}

export async function fetchOrder(id, fetchImpl = fetch) {
  return json(await fetchImpl(`/api/orders/${encodeURIComponent(id)}`));
}

/** Which hops an order has made, for the checklist next to it. */
export function hopsOf(order) {
  const path = (order && order.path) || {};
  return HOPS.map((hop) => ({ ...hop, done: path[hop.key] != null }));
}

/** A notification from the SSE stream, or null if the data is not one. */
export function parseNotification(data) {
  let value;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (!value || typeof value !== "object" || typeof value.order_id !== "string") return null;
  return value;
}

/**
 * Follows the api's notification stream; EventSource reconnects by itself (the api sends `retry`).
 * Returns a function that closes the stream.
 */
export function followNotifications({ onNotification, onState }, EventSourceImpl = EventSource) {
  const source = new EventSourceImpl("/api/notifications/stream");
  source.addEventListener("open", () => onState("live"));
  source.addEventListener("error", () => onState("reconnecting"));
  source.addEventListener("order", (event) => {
    const note = parseNotification(event.data);
    if (note) onNotification(note);
  });
  return () => source.close();
}
