"""Session-wide real servers (see servers.py) and the environment the apps stage would inject."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import Iterator

import pytest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))

import servers  # noqa: E402


@pytest.fixture(scope="session")
def workdir() -> Iterator[str]:
    path = tempfile.mkdtemp(prefix="refapp-test-")
    os.chmod(path, 0o755)  # the postgres user must reach its data directory inside
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(workdir: str) -> Iterator[servers.Postgres]:
    pg = servers.start_postgres(workdir)
    yield pg
    servers.stop_postgres(pg)


@pytest.fixture(scope="session")
def redis_server(workdir: str) -> Iterator[servers.RedisServer]:
    server = servers.start_redis(workdir)
    yield server
    servers.stop_redis(server)


@pytest.fixture(scope="session")
def mosquitto(workdir: str) -> Iterator[servers.Mosquitto]:
    server = servers.start_mosquitto(workdir)
    yield server
    servers.stop_mosquitto(server)


KAFKA_ENV = {"KAFKA_BOOTSTRAP_SERVERS": "kafka-kafka-bootstrap.kafka.svc.cluster.local:9092", "KAFKA_TOPICS": "events"}


@pytest.fixture()
def api_env(postgres: servers.Postgres, redis_server: servers.RedisServer, mosquitto: servers.Mosquitto) -> dict[str, str]:
    """What the apps stage injects into the api (Redis through Sentinel, as in prod)."""
    return {"APP_NAME": "reference-api", **postgres.env(), **KAFKA_ENV, **redis_server.sentinel_env(), **mosquitto.env()}


@pytest.fixture()
def worker_env(redis_server: servers.RedisServer, mosquitto: servers.Mosquitto) -> dict[str, str]:
    return {"APP_NAME": "reference-worker", **KAFKA_ENV, **redis_server.sentinel_env(), **mosquitto.env()}
