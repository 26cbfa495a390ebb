"""
MQTT: the worker publishes one notification per processed order; the api subscribes, records that
the notification arrived and relays it to browsers (server-sent events) through `Hub`.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from contextlib import AsyncExitStack
from typing import Any, Awaitable, Callable, Optional

import aiomqtt

from .settings import NOTIFICATION_TOPIC_PREFIX, MqttSettings

log = logging.getLogger(__name__)


def client_id(app_name: str, role: str) -> str:
    # Unique per process: two clients with one id would keep disconnecting each other.
    return f"{app_name}-{role}-{socket.gethostname()}-{os.getpid()}"[:64]


def mqtt_client(settings: MqttSettings, identifier: str) -> aiomqtt.Client:
    return aiomqtt.Client(
        hostname=settings.host,
        port=settings.port,
        username=settings.username,
        password=settings.password or None,
        identifier=identifier,
        keepalive=30,
        timeout=10,
    )


def order_topic(order_id: str) -> str:
    return f"{NOTIFICATION_TOPIC_PREFIX}/{order_id}"


class Notifier:
    """The worker's publishing side: one connection, reopened once if the broker dropped it."""

    def __init__(self, settings: MqttSettings, identifier: str):
        self.settings, self.identifier = settings, identifier
        self._stack: Optional[AsyncExitStack] = None
        self._client: Optional[aiomqtt.Client] = None

    async def start(self) -> None:
        stack = AsyncExitStack()
        self._client = await stack.enter_async_context(mqtt_client(self.settings, self.identifier))
        self._stack = stack

    async def stop(self) -> None:
        if self._stack is not None:
            stack, self._stack, self._client = self._stack, None, None
            try:
                await stack.aclose()
            except aiomqtt.MqttError:
                pass

    async def publish(self, order_id: str, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":"))
        if self._client is None:
            raise RuntimeError("notifier not started")
        try:
            await self._client.publish(order_topic(order_id), body, qos=1)
        except aiomqtt.MqttError:
            log.warning("MQTT publish failed, reconnecting once")
            await self.stop()
            await self.start()
            await self._client.publish(order_topic(order_id), body, qos=1)  # type: ignore[union-attr]


Handler = Callable[[str, dict[str, Any]], Awaitable[None]]


async def listen(settings: MqttSettings, identifier: str, handler: Handler, ready: asyncio.Event, retry_seconds: float = 2.0) -> None:
    """Subscribes to every order's notifications and calls `handler(order_id, payload)`; reconnects forever."""
    while True:
        try:
            async with mqtt_client(settings, identifier) as client:
                await client.subscribe(f"{NOTIFICATION_TOPIC_PREFIX}/+", qos=1)
                ready.set()
                async for message in client.messages:
                    order_id = message.topic.value.rsplit("/", 1)[-1]
                    try:
                        payload = json.loads(bytes(message.payload))  # type: ignore[arg-type]
                    except (TypeError, ValueError):
                        log.warning("ignoring a malformed notification on %s", message.topic.value)
                        continue
                    if not isinstance(payload, dict):
                        continue
                    try:
                        await handler(order_id, payload)
                    except Exception:  # noqa: BLE001 - one bad notification must not end the subscription
                        log.exception("handling the notification for %s failed", order_id)
        except aiomqtt.MqttError as err:
            ready.clear()
            log.warning("MQTT subscription lost (%s), retrying in %ss", err, retry_seconds)
            await asyncio.sleep(retry_seconds)


class Hub:
    """Fans notifications out to every open SSE stream; a slow browser loses old ones, never blocks the rest."""

    def __init__(self, queue_size: int = 100):
        self.queue_size = queue_size
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.queue_size)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._queues.discard(queue)

    @property
    def listeners(self) -> int:
        return len(self._queues)

    def publish(self, message: dict[str, Any]) -> None:
        for queue in list(self._queues):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(message)
