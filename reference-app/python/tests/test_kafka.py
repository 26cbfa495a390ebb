"""
Kafka. No broker can run here, so: the real aiokafka producer and consumer are built from the
contract's settings and their configuration checked, and starting them against a closed local port
fails with aiokafka's connection error (the real client code path up to the network). The fake bus's
semantics, which the api/worker tests rely on, are tested here too.
"""
import asyncio

import pytest
from aiokafka.errors import KafkaConnectionError

from refapp.events import FakeConsumer, InMemoryBus, KafkaConsumer, KafkaPublisher, consumer_config, decode, encode, producer_config
from refapp.settings import load_settings

from servers import free_port


def kafka_settings(servers="kafka-kafka-bootstrap.kafka.svc.cluster.local:9092"):
    return load_settings({"APP_NAME": "t", "KAFKA_BOOTSTRAP_SERVERS": servers, "KAFKA_TOPICS": "events"}, ["kafka"]).kafka


def test_producer_config_is_durable_and_idempotent():
    config = producer_config(kafka_settings("a:9092,b:9092"), "reference-api")
    assert config["bootstrap_servers"] == ["a:9092", "b:9092"]
    assert (config["acks"], config["enable_idempotence"], config["client_id"]) == ("all", True, "reference-api")
    assert config["value_serializer"]({"b": 1, "a": 2}) == b'{"a":2,"b":1}'


def test_consumer_commits_by_hand_in_the_apps_group():
    config = consumer_config(kafka_settings(), "reference-worker")
    assert (config["group_id"], config["enable_auto_commit"], config["auto_offset_reset"]) == ("reference-worker", False, "earliest")


def test_the_real_clients_accept_the_config():
    # aiokafka validates its arguments when the client is built (it needs a running loop for that).
    async def build():
        from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

        producer = AIOKafkaProducer(**producer_config(kafka_settings(), "reference-api"))
        consumer = AIOKafkaConsumer("events", **consumer_config(kafka_settings(), "reference-worker"))
        await producer.stop()
        await consumer.stop()
        return producer, consumer

    producer, consumer = asyncio.run(build())
    assert producer.client._bootstrap_servers == ["kafka-kafka-bootstrap.kafka.svc.cluster.local:9092"]
    assert consumer._group_id == "reference-worker"


@pytest.mark.parametrize("kind", ["producer", "consumer"])
def test_starting_without_a_broker_fails_with_a_connection_error(kind):
    settings = kafka_settings(f"127.0.0.1:{free_port()}")  # nothing listens there
    client = KafkaPublisher(settings, "t") if kind == "producer" else KafkaConsumer(settings, ["events"], "t")

    async def run():
        await asyncio.wait_for(client.start(), 60)

    with pytest.raises(KafkaConnectionError):
        asyncio.run(run())


def test_publishing_before_start_is_an_error():
    with pytest.raises(RuntimeError, match="not started"):
        asyncio.run(KafkaPublisher(kafka_settings(), "t").publish("events", "k", {}))


def test_fake_bus_delivers_in_order_and_resumes_from_the_committed_offset():
    bus = InMemoryBus()

    async def run():
        publisher = bus.publisher()
        await publisher.start()
        receipts = [await publisher.publish("events", f"k{n}", {"n": n}) for n in range(3)]
        consumer = bus.consumer(["events"], "g")
        await consumer.start()
        seen = []
        async for event in consumer.events():
            seen.append(event.value["n"])
            if event.value["n"] == 0:
                await consumer.commit(event)
            if len(seen) == 3:
                break
        await consumer.stop()
        # A restarted member of the group gets everything after the last commit again (at least once).
        again = bus.consumer(["events"], "g")
        await again.start()
        redelivered = []
        async for event in again.events():
            redelivered.append(event.value["n"])
            if len(redelivered) == 2:
                break
        other_group = FakeConsumer(bus, ["events"], "other")
        await other_group.start()
        first_of_other = await other_group.events().__anext__()
        return [r.offset for r in receipts], seen, redelivered, first_of_other.value["n"]

    offsets, seen, redelivered, first_of_other = asyncio.run(run())
    assert offsets == [0, 1, 2]
    assert seen == [0, 1, 2]
    assert redelivered == [1, 2]
    assert first_of_other == 0


def test_values_must_be_json_objects():
    assert decode(encode({"a": [1]})) == {"a": [1]}
    with pytest.raises(ValueError):
        decode(b"[1]")
