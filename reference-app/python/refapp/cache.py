"""
Redis: the worker records each processed order under `order:<id>`; the api reads it back. With
REDIS_SENTINEL_MASTER set, REDIS_HOST:REDIS_PORT is a Sentinel and the client asks it for the
current master on every (re)connect, so a failover needs no restart.
"""
from __future__ import annotations

from typing import Any, Optional

from redis.asyncio import Redis
from redis.asyncio.sentinel import Sentinel

from .settings import RedisSettings

#: Processed orders stay readable this long (the api's status check and the smoke test need minutes).
RECORD_TTL_SECONDS = 7 * 24 * 3600


def order_key(order_id: str) -> str:
    return f"order:{order_id}"


def redis_client(settings: RedisSettings, client_name: str) -> Redis:
    common: dict[str, Any] = {"socket_timeout": 5, "socket_connect_timeout": 5, "decode_responses": True, "client_name": client_name}
    if settings.sentinel_master:
        sentinel_kwargs: dict[str, Any] = {"socket_timeout": 5, "socket_connect_timeout": 5}
        if settings.sentinel_password:
            sentinel_kwargs["password"] = settings.sentinel_password
        sentinel = Sentinel([(settings.host, settings.port)], sentinel_kwargs=sentinel_kwargs, password=settings.password or None, **common)
        return sentinel.master_for(settings.sentinel_master)
    return Redis(host=settings.host, port=settings.port, password=settings.password or None, **common)


async def record_processed(redis: Redis, order_id: str, record: dict[str, str]) -> None:
    key = order_key(order_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key, mapping=record)
        pipe.expire(key, RECORD_TTL_SECONDS)
        await pipe.execute()


async def read_processed(redis: Redis, order_id: str) -> Optional[dict[str, str]]:
    record = await redis.hgetall(order_key(order_id))
    return record or None
