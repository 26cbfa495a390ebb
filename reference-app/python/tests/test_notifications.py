"""MQTT against the real Mosquitto (password file, anonymous access off)."""
import asyncio

import aiomqtt
import pytest

from refapp.notifications import Hub, Notifier, listen, mqtt_client, order_topic
from refapp.settings import load_settings


def settings(env):
    return load_settings({"APP_NAME": "t", **env}, ["mqtt"]).mqtt


def round_trip(mosquitto, messages, fail_on=()):
    """Publishes `messages` (order id, payload) through the broker; returns what the listener handled."""

    async def run():
        received: list = []
        got = asyncio.Event()
        ready = asyncio.Event()

        async def handler(order_id, payload):
            if order_id in fail_on:
                raise RuntimeError("database down")
            received.append((order_id, payload))
            got.set()

        task = asyncio.create_task(listen(settings(mosquitto.env()), "test-listener", handler, ready))
        await asyncio.wait_for(ready.wait(), 10)
        notifier = Notifier(settings(mosquitto.env()), "test-notifier")
        await notifier.start()
        try:
            for order_id, payload in messages:
                await notifier.publish(order_id, payload)
            await asyncio.wait_for(got.wait(), 10)
        finally:
            await notifier.stop()
            task.cancel()
        return received

    return asyncio.run(run())


def test_a_notification_reaches_the_listener(mosquitto):
    assert round_trip(mosquitto, [("o-42", {"status": "processed"})]) == [("o-42", {"status": "processed"})]


def test_a_failing_handler_does_not_end_the_subscription(mosquitto):
    received = round_trip(mosquitto, [("bad", {"status": "processed"}), ("good", {"status": "processed"})], fail_on=("bad",))
    assert received == [("good", {"status": "processed"})]


@pytest.mark.parametrize("who", ["anonymous", "wrong password"])
def test_the_broker_refuses_clients_without_the_password(mosquitto, who):
    env = mosquitto.env()
    s = settings({**env, "MQTT_PASSWORD": "wrong"})

    async def run():
        # aiomqtt binds to the running loop when a client is built.
        if who == "anonymous":
            client = aiomqtt.Client("127.0.0.1", mosquitto.port, identifier="anon")
        else:
            client = mqtt_client(s, "wrong-password")
        async with client:
            pass

    with pytest.raises(aiomqtt.MqttError, match="[Nn]ot authori[sz]ed|[Bb]ad user name or password"):
        asyncio.run(run())


def test_order_topics_live_under_the_prefix():
    assert order_topic("abc") == "reference-app/orders/abc"


def test_the_hub_drops_the_oldest_message_for_a_slow_listener():
    async def run():
        hub = Hub(queue_size=2)
        queue = hub.subscribe()
        for n in range(3):
            hub.publish({"n": n})
        items = [queue.get_nowait()["n"] for _ in range(queue.qsize())]
        hub.unsubscribe(queue)
        return items, hub.listeners

    assert asyncio.run(run()) == ([1, 2], 0)


def test_publishing_before_start_is_an_error(mosquitto):
    with pytest.raises(RuntimeError, match="not started"):
        asyncio.run(Notifier(settings(mosquitto.env()), "x").publish("o", {}))
