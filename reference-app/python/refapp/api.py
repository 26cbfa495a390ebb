"""
The orders API. POST /api/orders stores an order in PostgreSQL and publishes `order.created` on the
Kafka topic `events`; the worker records it in Redis and notifies over MQTT; this api, subscribed to
those notifications, marks the order notified in PostgreSQL and relays the notification to browsers
(GET /api/notifications/stream). GET /api/orders/{id} therefore shows, in one call, that the order
crossed PostgreSQL, Kafka, Redis and MQTT (`complete: true`): the smoke test relies on that.

Run: `uvicorn --factory refapp.api:create_app` (settings from the environment, see settings.py).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Optional

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest
from pydantic import BaseModel, Field
from redis.asyncio import Redis

from . import cache, database
from .events import EventPublisher, KafkaPublisher
from .notifications import Hub, client_id, listen
from .settings import EVENTS_TOPIC, Settings, load_settings
from .startup import configure_logging, retry

log = logging.getLogger(__name__)

#: How long a start may wait for PostgreSQL, Kafka and the MQTT subscription (then the pod restarts).
STARTUP_SECONDS = float(os.environ.get("STARTUP_TIMEOUT_SECONDS", "120"))
KEEPALIVE_SECONDS = 15.0


class OrderIn(BaseModel):
    item: str = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=1, le=10000)


def iso(value: Optional[datetime]) -> Optional[str]:
    return value.astimezone(timezone.utc).isoformat() if value else None


def order_view(order: database.Order, processed: Optional[dict[str, str]]) -> dict[str, Any]:
    """The order with the evidence of each hop it made; `complete` once all four are there."""
    path: dict[str, Any] = {
        "postgresql": {"created_at": iso(order.created_at)},
        "kafka": None,
        "redis": None,
        "mqtt": None,
    }
    if processed:
        path["kafka"] = {
            "topic": processed.get("kafka_topic"),
            "partition": int(processed.get("kafka_partition", "-1")),
            "offset": int(processed.get("kafka_offset", "-1")),
        }
        path["redis"] = {"processed_at": processed.get("processed_at"), "worker": processed.get("worker")}
    if order.notified_at:
        path["mqtt"] = {"notified_at": iso(order.notified_at)}
    status = "notified" if order.notified_at else "processed" if processed else order.status
    return {
        "id": str(order.id),
        "item": order.item,
        "quantity": order.quantity,
        "status": status,
        "path": path,
        "complete": all(path[hop] is not None for hop in ("postgresql", "kafka", "redis", "mqtt")),
    }


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.orders_created = Counter("refapp_orders_created_total", "Orders stored and published", registry=self.registry)
        self.publish_failures = Counter("refapp_order_publish_failures_total", "Orders stored but not published", registry=self.registry)
        self.notifications = Counter("refapp_notifications_received_total", "MQTT notifications received", registry=self.registry)
        self.streams = Gauge("refapp_sse_streams", "Open server-sent event streams", registry=self.registry)


def create_app(settings: Optional[Settings] = None, publisher: Optional[EventPublisher] = None) -> FastAPI:
    settings = settings or load_settings(os.environ, ["postgres", "kafka", "redis", "mqtt"])
    configure_logging(os.environ.get("LOG_LEVEL"))
    assert settings.postgres and settings.kafka and settings.redis and settings.mqtt
    publisher = publisher or KafkaPublisher(settings.kafka, client_id=settings.app_name)
    pool = database.create_pool(settings.postgres, settings.app_name)
    redis: Redis = cache.redis_client(settings.redis, settings.app_name)
    hub = Hub()
    metrics = Metrics()
    mqtt_ready = asyncio.Event()

    async def on_notification(order_id: str, payload: dict[str, Any]) -> None:
        metrics.notifications.inc()
        try:
            oid = uuid.UUID(order_id)
        except ValueError:
            return
        async with pool.connection() as conn:
            await database.mark_notified(conn, oid)
        hub.publish({**payload, "order_id": str(oid), "received_at": datetime.now(timezone.utc).isoformat()})

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await pool.open(wait=True, timeout=STARTUP_SECONDS)
        async with pool.connection() as conn:
            applied = await database.migrate(conn)
        log.info("schema migrations applied: %s", applied or "none (up to date)")
        await retry(publisher.start, "Kafka producer", STARTUP_SECONDS)
        listener = asyncio.create_task(listen(settings.mqtt, client_id(settings.app_name, "api"), on_notification, mqtt_ready))
        try:
            # Accept orders only once their notifications can come back.
            await asyncio.wait_for(mqtt_ready.wait(), STARTUP_SECONDS)
            yield
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            await publisher.stop()
            await redis.aclose()
            await pool.close()

    app = FastAPI(title="reference-api", lifespan=lifespan, docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.state.hub = hub

    @app.post("/api/orders", status_code=201)
    async def create_order(body: OrderIn) -> JSONResponse:
        async with pool.connection() as conn:
            order = await database.insert_order(conn, body.item, body.quantity)
        event = {
            "type": "order.created",
            "order_id": str(order.id),
            "item": order.item,
            "quantity": order.quantity,
            "created_at": iso(order.created_at),
        }
        try:
            receipt = await publisher.publish(EVENTS_TOPIC, str(order.id), event)
        except Exception:  # the order is stored; say so, and that it was not dispatched
            metrics.publish_failures.inc()
            log.exception("publishing order %s failed", order.id)
            return JSONResponse({**order_view(order, None), "error": "stored but not published to Kafka"}, status_code=503)
        metrics.orders_created.inc()
        view = order_view(order, None)
        view["published"] = {"topic": receipt.topic, "partition": receipt.partition, "offset": receipt.offset}
        return JSONResponse(view, status_code=201)

    @app.get("/api/orders/{order_id}")
    async def read_order(order_id: uuid.UUID) -> dict[str, Any]:
        async with pool.connection() as conn:
            order = await database.get_order(conn, order_id)
        if order is None:
            raise HTTPException(404, "no such order")
        processed = await cache.read_processed(redis, str(order_id))
        return order_view(order, processed)

    @app.get("/api/notifications/stream")
    async def notifications(request: Request) -> StreamingResponse:
        queue = hub.subscribe()
        metrics.streams.inc()

        async def events() -> AsyncIterator[str]:
            try:
                yield "retry: 3000\n: connected\n\n"
                while True:
                    try:
                        message = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                    except asyncio.TimeoutError:
                        if await request.is_disconnected():
                            break
                        yield ": keepalive\n\n"
                        continue
                    yield f"event: order\ndata: {json.dumps(message, separators=(',', ':'))}\n\n"
            finally:
                hub.unsubscribe(queue)
                metrics.streams.dec()

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        try:
            async with pool.connection(timeout=3) as conn:
                await conn.execute("SELECT 1")
        except Exception as err:  # noqa: BLE001 - any failure means not healthy
            return JSONResponse({"status": "unhealthy", "postgresql": str(err)}, status_code=503)
        return JSONResponse({"status": "ok", "mqtt": "subscribed" if mqtt_ready.is_set() else "reconnecting"})

    @app.get("/metrics")
    async def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
