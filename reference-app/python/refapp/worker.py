"""
The worker: consumes `order.created` from the Kafka topic `events`, records the order as processed in
Redis (with the Kafka coordinates it came from) and publishes a notification over MQTT. The offset is
committed only after both, so a crash redelivers (at least once; both writes are idempotent).
GET /healthz and /metrics on port 8000.

Run: `uvicorn --factory refapp.worker:create_app --port 8000`.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import datetime, timezone
from typing import AsyncIterator, Optional

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

from redis.asyncio import Redis

from . import cache
from .events import Event, EventConsumer, KafkaConsumer
from .notifications import Notifier, client_id
from .settings import EVENTS_TOPIC, Settings, load_settings
from .startup import configure_logging, retry

log = logging.getLogger(__name__)

STARTUP_SECONDS = float(os.environ.get("STARTUP_TIMEOUT_SECONDS", "120"))
#: Attempts per event before the worker gives up (healthz turns 503 and the pod restarts).
ATTEMPTS = 5


class Worker:
    def __init__(self, settings: Settings, consumer: EventConsumer, notifier: Notifier, redis: Redis):
        self.settings, self.consumer, self.notifier, self.redis = settings, consumer, notifier, redis
        self.name = f"{settings.app_name}@{socket.gethostname()}"
        self.registry = CollectorRegistry()
        self.processed = Counter("refapp_events_processed_total", "Order events processed", registry=self.registry)
        self.skipped = Counter("refapp_events_skipped_total", "Events of other types or malformed", registry=self.registry)
        self.failures = Counter("refapp_event_failures_total", "Failed attempts at handling an event", registry=self.registry)
        self.handled = 0

    async def handle(self, event: Event) -> bool:
        """Processes one event; false if it is not an order event (then it is only committed)."""
        value = event.value
        order_id = value.get("order_id")
        if value.get("type") != "order.created" or not isinstance(order_id, str):
            return False
        processed_at = datetime.now(timezone.utc).isoformat()
        await cache.record_processed(
            self.redis,
            order_id,
            {
                "status": "processed",
                "item": str(value.get("item", "")),
                "quantity": str(value.get("quantity", "")),
                "kafka_topic": event.topic,
                "kafka_partition": str(event.partition),
                "kafka_offset": str(event.offset),
                "processed_at": processed_at,
                "worker": self.name,
            },
        )
        await self.notifier.publish(
            order_id,
            {
                "order_id": order_id,
                "status": "processed",
                "item": value.get("item"),
                "quantity": value.get("quantity"),
                "kafka": {"topic": event.topic, "partition": event.partition, "offset": event.offset},
                "processed_at": processed_at,
                "worker": self.name,
            },
        )
        return True

    async def run(self) -> None:
        async for event in self.consumer.events():
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    handled = await self.handle(event)
                    break
                except Exception:
                    self.failures.inc()
                    log.exception("event %s/%s@%s failed (attempt %s/%s)", event.topic, event.partition, event.offset, attempt, ATTEMPTS)
                    if attempt == ATTEMPTS:
                        raise
                    await asyncio.sleep(min(2 ** attempt * 0.1, 5))
            (self.processed if handled else self.skipped).inc()
            self.handled += handled
            await self.consumer.commit(event)


def create_app(settings: Optional[Settings] = None, consumer: Optional[EventConsumer] = None) -> FastAPI:
    settings = settings or load_settings(os.environ, ["kafka", "redis", "mqtt"])
    configure_logging(os.environ.get("LOG_LEVEL"))
    assert settings.kafka and settings.redis and settings.mqtt
    # The consumer group is the app's name: every replica shares the work, each event goes to one.
    consumer = consumer or KafkaConsumer(settings.kafka, [EVENTS_TOPIC], group_id=settings.app_name)
    notifier = Notifier(settings.mqtt, client_id(settings.app_name, "worker"))
    redis = cache.redis_client(settings.redis, settings.app_name)
    worker = Worker(settings, consumer, notifier, redis)
    state: dict[str, Optional[asyncio.Task[None]]] = {"task": None}

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await retry(notifier.start, "MQTT", STARTUP_SECONDS)
        await retry(consumer.start, "Kafka consumer", STARTUP_SECONDS)
        task = asyncio.create_task(worker.run())
        state["task"] = task
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            await consumer.stop()
            await notifier.stop()
            await redis.aclose()

    app = FastAPI(title="reference-worker", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.worker = worker

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        task = state["task"]
        if task is None or task.done():
            reason = "not started" if task is None else repr(task.exception()) if not task.cancelled() else "cancelled"
            return JSONResponse({"status": "unhealthy", "consumer": reason}, status_code=503)
        try:
            await asyncio.wait_for(redis.ping(), 3)
        except Exception as err:  # noqa: BLE001
            return JSONResponse({"status": "unhealthy", "redis": str(err)}, status_code=503)
        return JSONResponse({"status": "ok", "processed": worker.handled})

    @app.get("/metrics")
    async def prometheus() -> Response:
        return Response(generate_latest(worker.registry), media_type=CONTENT_TYPE_LATEST)

    return app
