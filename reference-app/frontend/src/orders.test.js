import { describe, expect, it, vi } from "vitest";
import { createOrder, fetchOrder, followNotifications, hopsOf, parseNotification } from "./orders.js";

const reply = (status, body) => ({ ok: status < 400, status, json: async () => body });

describe("createOrder", () => {
  it("posts the trimmed item and quantity as JSON", async () => {
    const fetchImpl = vi.fn(async () => reply(201, { id: "o1", status: "created" }));
    await expect(createOrder("  lamp ", "3", fetchImpl)).resolves.toEqual({ id: "o1", status: "created" });
    const [url, init] = fetchImpl.mock.calls[0];
    expect(url).toBe("/api/orders");
    expect(init.method).toBe("POST");
    expect(JSON.parse(init.body)).toEqual({ item: "lamp", quantity: 3 });
  });

  it("refuses bad input without calling the api", async () => {
    const fetchImpl = vi.fn();
    await expect(createOrder(" ", 1, fetchImpl)).rejects.toThrow("enter an item");
    await expect(createOrder("x", 0, fetchImpl)).rejects.toThrow("quantity");
    await expect(createOrder("x", 1.5, fetchImpl)).rejects.toThrow("quantity");
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it("reports the api's error", async () => {
    const fetchImpl = async () => reply(503, { error: "stored but not published to Kafka" });
    await expect(createOrder("x", 1, fetchImpl)).rejects.toThrow("the api answered 503: stored but not published to Kafka");
  });
});

describe("fetchOrder and hopsOf", () => {
  it("reads an order and lists the hops it made", async () => {
    const order = { id: "a/b", path: { postgresql: {}, kafka: { offset: 1 }, redis: null, mqtt: null } };
    const fetchImpl = vi.fn(async () => reply(200, order));
    expect(await fetchOrder("a/b", fetchImpl)).toBe(order);
    expect(fetchImpl).toHaveBeenCalledWith("/api/orders/a%2Fb");
    expect(hopsOf(order).map((h) => [h.label, h.done])).toEqual([["PostgreSQL", true], ["Kafka", true], ["Redis", false], ["MQTT", false]]);
  });
});

describe("notifications", () => {
  it("parses only notifications with an order id", () => {
    expect(parseNotification('{"order_id":"o1","status":"processed"}')).toEqual({ order_id: "o1", status: "processed" });
    expect(parseNotification("not json")).toBeNull();
    expect(parseNotification('{"status":"processed"}')).toBeNull();
  });

  it("follows the stream and reports its state", () => {
    const listeners = {};
    class FakeEventSource {
      constructor(url) {
        this.url = url;
        FakeEventSource.last = this;
      }
      addEventListener(type, fn) {
        listeners[type] = fn;
      }
      close() {
        this.closed = true;
      }
    }
    const seen = [];
    const states = [];
    const close = followNotifications({ onNotification: (n) => seen.push(n), onState: (s) => states.push(s) }, FakeEventSource);
    expect(FakeEventSource.last.url).toBe("/api/notifications/stream");
    listeners.open();
    listeners.order({ data: '{"order_id":"o2"}' });
    listeners.order({ data: "garbage" });
    listeners.error();
    close();
    expect(seen).toEqual([{ order_id: "o2" }]);
    expect(states).toEqual(["live", "reconnecting"]);
    expect(FakeEventSource.last.closed).toBe(true);
  });
});
