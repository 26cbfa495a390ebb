"""Redis with requirepass, directly and through a password-protected Sentinel (as prod's redis-ha)."""
import asyncio

import pytest
import redis.asyncio.sentinel
import redis.exceptions

from refapp import cache
from refapp.settings import load_settings


def settings(env):
    return load_settings({"APP_NAME": "t", **env}, ["redis"]).redis


@pytest.mark.parametrize("via", ["direct", "sentinel"])
def test_a_record_round_trips_with_a_ttl(redis_server, via):
    env = redis_server.env() if via == "direct" else redis_server.sentinel_env()

    async def run():
        client = cache.redis_client(settings(env), "refapp-test")
        try:
            await cache.record_processed(client, "o-1", {"status": "processed", "kafka_offset": "4"})
            record = await cache.read_processed(client, "o-1")
            ttl = await client.ttl(cache.order_key("o-1"))
            missing = await cache.read_processed(client, "o-unknown")
            return record, ttl, missing
        finally:
            await client.aclose()

    record, ttl, missing = asyncio.run(run())
    assert record == {"status": "processed", "kafka_offset": "4"}
    assert 0 < ttl <= cache.RECORD_TTL_SECONDS
    assert missing is None


def test_sentinel_hands_out_the_master_it_monitors(redis_server):
    async def run():
        client = cache.redis_client(settings(redis_server.sentinel_env()), "refapp-test")
        try:
            info = await client.info("server")
            return info["tcp_port"], (await client.info("replication"))["role"]
        finally:
            await client.aclose()

    port, role = asyncio.run(run())
    assert (port, role) == (redis_server.port, "master")


@pytest.mark.parametrize(
    "key, error, reason",
    [
        ("REDIS_PASSWORD", redis.exceptions.AuthenticationError, "invalid username-password pair"),  # the master refuses
        ("REDIS_SENTINEL_PASSWORD", redis.asyncio.sentinel.MasterNotFoundError, "auth:AuthenticationError"),  # Sentinel refuses
    ],
)
def test_a_wrong_password_is_refused(redis_server, key, error, reason):
    env = {**redis_server.sentinel_env(), key: "wrong"}

    async def run():
        client = cache.redis_client(settings(env), "refapp-test")
        try:
            await client.ping()
        finally:
            await client.aclose()

    with pytest.raises(error) as err:
        asyncio.run(run())
    assert reason in str(err.value)  # refused for the password, not for a network problem
