"""
Kafka behind a small interface: the api publishes order events, the worker consumes them. The real
implementation is aiokafka; `InMemoryBus` is a fake with the same semantics the app relies on
(per-topic ordered log, offsets, consumer groups that resume from their committed offset) so tests
can run both sides where no broker can run. The fake is thread-safe: the api and the worker may run
on different event loops (threads) of one test process.
"""
from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Optional, Protocol

from .settings import KafkaSettings


@dataclass(frozen=True)
class Event:
    topic: str
    partition: int
    offset: int
    key: Optional[str]
    value: dict[str, Any]


@dataclass(frozen=True)
class Receipt:
    """Where the broker stored a published event."""
    topic: str
    partition: int
    offset: int


class EventPublisher(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, topic: str, key: str, value: dict[str, Any]) -> Receipt: ...


class EventConsumer(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def events(self) -> AsyncIterator[Event]: ...
    async def commit(self, event: Event) -> None: ...


def encode(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def decode(raw: Optional[bytes]) -> dict[str, Any]:
    if raw is None:
        return {}
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("event value is not a JSON object")
    return value


# --- the real thing ------------------------------------------------------------------------------

def producer_config(settings: KafkaSettings, client_id: str) -> dict[str, Any]:
    """aiokafka producer arguments: every event acknowledged by all in-sync replicas, no duplicates on retry."""
    return {
        "bootstrap_servers": list(settings.bootstrap_servers),
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "request_timeout_ms": 15000,
        "key_serializer": lambda k: k.encode() if k is not None else None,
        "value_serializer": encode,
    }


def consumer_config(settings: KafkaSettings, group_id: str) -> dict[str, Any]:
    """aiokafka consumer arguments: offsets committed only after an event is handled (at least once)."""
    return {
        "bootstrap_servers": list(settings.bootstrap_servers),
        "client_id": group_id,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "request_timeout_ms": 15000,
    }


async def _started(client: Any) -> Any:
    """Starts an aiokafka client; one that failed to connect is closed, not leaked."""
    try:
        await client.start()
    except BaseException:
        await client.stop()
        raise
    return client


class KafkaPublisher:
    def __init__(self, settings: KafkaSettings, client_id: str):
        self.config = producer_config(settings, client_id)
        self._producer: Any = None

    async def start(self) -> None:
        from aiokafka import AIOKafkaProducer  # aiokafka binds to the running loop on construction

        self._producer = await _started(AIOKafkaProducer(**self.config))

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish(self, topic: str, key: str, value: dict[str, Any]) -> Receipt:
        if self._producer is None:
            raise RuntimeError("publisher not started")
        meta = await self._producer.send_and_wait(topic, value=value, key=key)
        return Receipt(topic=meta.topic, partition=meta.partition, offset=meta.offset)


class KafkaConsumer:
    def __init__(self, settings: KafkaSettings, topics: list[str], group_id: str):
        self.topics = topics
        self.config = consumer_config(settings, group_id)
        self._consumer: Any = None

    async def start(self) -> None:
        from aiokafka import AIOKafkaConsumer

        self._consumer = await _started(AIOKafkaConsumer(*self.topics, **self.config))

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def events(self) -> AsyncIterator[Event]:
        if self._consumer is None:
            raise RuntimeError("consumer not started")
        async for record in self._consumer:
            key = record.key.decode() if record.key is not None else None
            yield Event(record.topic, record.partition, record.offset, key, decode(record.value))

    async def commit(self, event: Event) -> None:
        from aiokafka import TopicPartition

        await self._consumer.commit({TopicPartition(event.topic, event.partition): event.offset + 1})


# --- the fake ------------------------------------------------------------------------------------

@dataclass
class InMemoryBus:
    """One partition per topic; values go through the same JSON encoding as on the wire."""
    _logs: dict[str, list[tuple[Optional[str], bytes]]] = field(default_factory=dict)
    _committed: dict[tuple[str, str], int] = field(default_factory=dict)
    _lock: threading.Condition = field(default_factory=threading.Condition)

    def append(self, topic: str, key: Optional[str], value: dict[str, Any]) -> Receipt:
        with self._lock:
            log = self._logs.setdefault(topic, [])
            log.append((key, encode(value)))
            self._lock.notify_all()
            return Receipt(topic, 0, len(log) - 1)

    def read(self, topic: str, offset: int) -> Optional[Event]:
        with self._lock:
            log = self._logs.get(topic, [])
            if offset >= len(log):
                return None
            key, raw = log[offset]
            return Event(topic, 0, offset, key, decode(raw))

    def committed(self, group: str, topic: str) -> int:
        with self._lock:
            return self._committed.get((group, topic), 0)

    def commit(self, group: str, topic: str, next_offset: int) -> None:
        with self._lock:
            self._committed[(group, topic)] = max(next_offset, self._committed.get((group, topic), 0))

    def publisher(self) -> "FakePublisher":
        return FakePublisher(self)

    def consumer(self, topics: list[str], group_id: str) -> "FakeConsumer":
        return FakeConsumer(self, topics, group_id)


class FakePublisher:
    def __init__(self, bus: InMemoryBus):
        self.bus = bus
        self.started = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    async def publish(self, topic: str, key: str, value: dict[str, Any]) -> Receipt:
        if not self.started:
            raise RuntimeError("publisher not started")
        return self.bus.append(topic, key, value)


class FakeConsumer:
    def __init__(self, bus: InMemoryBus, topics: list[str], group_id: str, poll_seconds: float = 0.02):
        self.bus, self.topics, self.group_id, self.poll_seconds = bus, topics, group_id, poll_seconds
        self._positions: dict[str, int] = {}
        self.started = False

    async def start(self) -> None:
        # Like a group rejoining: resume from the committed offset, so uncommitted events come again.
        self._positions = {t: self.bus.committed(self.group_id, t) for t in self.topics}
        self.started = True

    async def stop(self) -> None:
        self.started = False

    async def events(self) -> AsyncIterator[Event]:
        while self.started:
            delivered = False
            for topic in self.topics:
                event = self.bus.read(topic, self._positions[topic])
                if event is not None:
                    self._positions[topic] += 1
                    delivered = True
                    yield event
            if not delivered:
                await asyncio.sleep(self.poll_seconds)

    async def commit(self, event: Event) -> None:
        self.bus.commit(self.group_id, event.topic, event.offset + 1)
