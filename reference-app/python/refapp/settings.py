"""
The environment contract with the apps stage (docs/apps.md, reference-app/README.md): the stage
injects exactly these variables. `load_settings` reads them once, checks every one the component
needs and fails with all problems at once, each naming its variable, before anything connects.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Optional

#: The topic orders travel on, from the api to the worker; it must be one of KAFKA_TOPICS.
EVENTS_TOPIC = "events"
#: The worker publishes one message per order under this prefix (`reference-app/orders/<id>`).
NOTIFICATION_TOPIC_PREFIX = "reference-app/orders"


class ConfigError(ValueError):
    """Bad or missing environment; the message names every offending variable."""


@dataclass(frozen=True)
class PostgresSettings:
    host: str
    port: int
    database: str
    user: str
    password: str = ""

    def __repr__(self) -> str:  # never print the password in logs or tracebacks
        return f"PostgresSettings(host={self.host!r}, port={self.port}, database={self.database!r}, user={self.user!r})"


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: tuple[str, ...]
    topics: tuple[str, ...]


@dataclass(frozen=True)
class RedisSettings:
    host: str
    port: int
    password: str = ""
    #: Set: host:port is a Sentinel and the master is looked up under this name.
    sentinel_master: Optional[str] = None
    sentinel_password: Optional[str] = None

    def __repr__(self) -> str:
        return f"RedisSettings(host={self.host!r}, port={self.port}, sentinel_master={self.sentinel_master!r})"


@dataclass(frozen=True)
class MqttSettings:
    host: str
    port: int
    username: str
    password: str = ""

    def __repr__(self) -> str:
        return f"MqttSettings(host={self.host!r}, port={self.port}, username={self.username!r})"


@dataclass(frozen=True)
class Settings:
    app_name: str
    postgres: Optional[PostgresSettings]
    kafka: Optional[KafkaSettings]
    redis: Optional[RedisSettings]
    mqtt: Optional[MqttSettings]


SERVICES = ("postgres", "kafka", "redis", "mqtt")


class _Reader:
    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self.problems: list[str] = []

    def required(self, name: str) -> str:
        value = self.env.get(name, "").strip()
        if not value:
            self.problems.append(f"{name} is not set")
        return value

    def optional(self, name: str) -> Optional[str]:
        value = self.env.get(name, "").strip()
        return value or None

    def secret(self, name: str) -> str:
        # Secrets are taken verbatim (a password may end in a space); only their presence is checked.
        value = self.env.get(name, "")
        if value == "":
            self.problems.append(f"{name} is not set")
        return value

    def port(self, name: str) -> int:
        raw = self.required(name)
        if not raw:
            return 0
        if not raw.isdigit() or not 1 <= int(raw) <= 65535:
            self.problems.append(f"{name} must be a port number (1-65535), got {raw!r}")
            return 0
        return int(raw)

    def csv(self, name: str) -> tuple[str, ...]:
        raw = self.required(name)
        items = tuple(part.strip() for part in raw.split(",") if part.strip())
        if raw and not items:
            self.problems.append(f"{name} lists nothing")
        return items


def _bootstrap(reader: _Reader) -> tuple[str, ...]:
    servers = reader.csv("KAFKA_BOOTSTRAP_SERVERS")
    for server in servers:
        host, sep, port = server.rpartition(":")
        if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            reader.problems.append(f"KAFKA_BOOTSTRAP_SERVERS: {server!r} is not host:port")
    return servers


def load_settings(env: Mapping[str, str], needs: Iterable[str]) -> Settings:
    """The settings of a component that uses the platform services in `needs` (subset of SERVICES)."""
    needs = set(needs)
    unknown = needs - set(SERVICES)
    if unknown:
        raise ValueError(f"unknown services {sorted(unknown)}")
    r = _Reader(env)
    app_name = r.required("APP_NAME")
    postgres = kafka = redis = mqtt = None
    if "postgres" in needs:
        postgres = PostgresSettings(
            host=r.required("POSTGRES_HOST"),
            port=r.port("POSTGRES_PORT"),
            database=r.required("POSTGRES_DB"),
            user=r.required("POSTGRES_USER"),
            password=r.secret("POSTGRES_PASSWORD"),
        )
    if "kafka" in needs:
        kafka = KafkaSettings(bootstrap_servers=_bootstrap(r), topics=r.csv("KAFKA_TOPICS"))
        if kafka.topics and EVENTS_TOPIC not in kafka.topics:
            r.problems.append(f"KAFKA_TOPICS must include {EVENTS_TOPIC!r} (got {','.join(kafka.topics)!r})")
    if "redis" in needs:
        master = r.optional("REDIS_SENTINEL_MASTER")
        redis = RedisSettings(
            host=r.required("REDIS_HOST"),
            port=r.port("REDIS_PORT"),
            password=r.secret("REDIS_PASSWORD"),
            sentinel_master=master,
            sentinel_password=(env.get("REDIS_SENTINEL_PASSWORD") or None) if master else None,
        )
    if "mqtt" in needs:
        mqtt = MqttSettings(
            host=r.required("MQTT_HOST"),
            port=r.port("MQTT_PORT"),
            username=r.required("MQTT_USERNAME"),
            password=r.secret("MQTT_PASSWORD"),
        )
    if r.problems:
        raise ConfigError("bad environment: " + "; ".join(r.problems))
    return Settings(app_name=app_name, postgres=postgres, kafka=kafka, redis=redis, mqtt=mqtt)
