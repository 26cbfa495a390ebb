"""
An order's whole path with the api and the worker running, the fake Kafka bus between them, and
real PostgreSQL, Redis (through Sentinel) and Mosquitto: POST -> PostgreSQL -> Kafka -> worker ->
Redis -> MQTT -> api -> PostgreSQL (notified) and the browser's SSE stream.
"""
import json
import queue
import threading
import time

import httpx

from harness import running


def sse_events(url: str, out: "queue.Queue[dict]", connected: threading.Event, stop: threading.Event) -> None:
    try:
        read_stream(url, out, connected, stop)
    except httpx.HTTPError:
        if not stop.is_set():  # the server closing the stream at shutdown is expected
            raise


def read_stream(url: str, out: "queue.Queue[dict]", connected: threading.Event, stop: threading.Event) -> None:
    with httpx.stream("GET", url, timeout=httpx.Timeout(5, read=30)) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in response.iter_lines():
            if line.startswith(": connected"):
                connected.set()
            elif line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: ") and event == "order":
                out.put(json.loads(line[len("data: "):]))
            if stop.is_set():
                return


def wait_complete(base: str, order_id: str, seconds: float = 20) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        order = httpx.get(f"{base}/api/orders/{order_id}", timeout=5).json()
        if order["complete"] or time.monotonic() > deadline:
            return order
        time.sleep(0.1)


def test_an_order_crosses_postgresql_kafka_redis_and_mqtt_and_reaches_the_browser(api_env, worker_env, postgres, redis_server):
    with running(api_env, worker_env, postgres) as run:
        notes: "queue.Queue[dict]" = queue.Queue()
        connected, stop = threading.Event(), threading.Event()
        reader = threading.Thread(target=sse_events, args=(f"{run.base}/api/notifications/stream", notes, connected, stop), daemon=True)
        reader.start()
        assert connected.wait(10), "the SSE stream did not open"

        order = httpx.post(f"{run.base}/api/orders", json={"item": "silla", "quantity": 4}, timeout=10).json()
        note = notes.get(timeout=20)
        assert note["order_id"] == order["id"] and note["status"] == "processed" and note["item"] == "silla"
        assert note["kafka"] == order["published"]

        done = wait_complete(run.base, order["id"])
        assert done["complete"] is True and done["status"] == "notified", done
        assert done["path"]["kafka"] == {"topic": "events", "partition": 0, "offset": order["published"]["offset"]}
        assert done["path"]["redis"]["worker"].startswith("reference-worker@")
        assert done["path"]["mqtt"]["notified_at"]
        # The worker committed the event, and its health says so.
        assert run.bus.committed("reference-worker", "events") == 1
        health = httpx.get(f"http://127.0.0.1:{run.worker.port}/healthz").json()
        assert health == {"status": "ok", "processed": 1}
        assert "refapp_events_processed_total 1.0" in httpx.get(f"http://127.0.0.1:{run.worker.port}/metrics").text
        stop.set()


def test_events_of_other_types_are_committed_and_skipped(api_env, worker_env, postgres):
    with running(api_env, worker_env, postgres) as run:
        run.bus.append("events", "x", {"type": "something.else"})
        deadline = time.monotonic() + 10
        while run.bus.committed("reference-worker", "events") < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert run.bus.committed("reference-worker", "events") == 1
        assert httpx.get(f"http://127.0.0.1:{run.worker.port}/healthz").json()["processed"] == 0


def test_a_worker_started_late_catches_up(api_env, worker_env, postgres):
    with running(api_env, None, postgres) as run:
        order = httpx.post(f"{run.base}/api/orders", json={"item": "mesa", "quantity": 1}, timeout=10).json()
        assert wait_complete(run.base, order["id"], seconds=0.5)["status"] == "created"
        with running({**api_env, "POSTGRES_DB": run.database}, worker_env, bus=run.bus):
            assert wait_complete(run.base, order["id"])["complete"] is True


def test_an_event_that_keeps_failing_is_not_committed_and_the_worker_turns_unhealthy(api_env, worker_env, postgres, monkeypatch):
    import refapp.worker

    async def redis_down(self, event):
        raise ConnectionError("redis down")

    monkeypatch.setattr(refapp.worker, "ATTEMPTS", 2)
    monkeypatch.setattr(refapp.worker.Worker, "handle", redis_down)
    with running(api_env, worker_env, postgres) as run:
        httpx.post(f"{run.base}/api/orders", json={"item": "x", "quantity": 1}, timeout=10)
        deadline = time.monotonic() + 10
        health = httpx.get(f"http://127.0.0.1:{run.worker.port}/healthz")
        while health.status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.1)
            health = httpx.get(f"http://127.0.0.1:{run.worker.port}/healthz")
        assert health.status_code == 503 and "redis down" in health.json()["consumer"]
        # Not committed: a restarted worker gets the event again (at least once).
        assert run.bus.committed("reference-worker", "events") == 0
        assert "refapp_event_failures_total 2.0" in httpx.get(f"http://127.0.0.1:{run.worker.port}/metrics").text
