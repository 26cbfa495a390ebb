import pytest

from refapp.settings import ConfigError, load_settings

FULL = {
    "APP_NAME": "reference-api",
    "POSTGRES_HOST": "10.17.4.13",
    "POSTGRES_PORT": "5432",
    "POSTGRES_DB": "microservices",
    "POSTGRES_USER": "microservices",
    "POSTGRES_PASSWORD": "s3cret",
    "KAFKA_BOOTSTRAP_SERVERS": "kafka-kafka-bootstrap.kafka.svc.cluster.local:9092, other:9093",
    "KAFKA_TOPICS": "events,audit",
    "REDIS_HOST": "redis-ha.redis.svc.cluster.local",
    "REDIS_PORT": "26379",
    "REDIS_PASSWORD": "r3dis",
    "REDIS_SENTINEL_MASTER": "mymaster",
    "REDIS_SENTINEL_PASSWORD": "sent1nel",
    "MQTT_HOST": "mosquitto.mosquitto.svc.cluster.local",
    "MQTT_PORT": "1883",
    "MQTT_USERNAME": "apps",
    "MQTT_PASSWORD": "mqtt",
}
ALL = ["postgres", "kafka", "redis", "mqtt"]


def test_the_full_contract_parses():
    s = load_settings(FULL, ALL)
    assert s.app_name == "reference-api"
    assert s.postgres and s.postgres.port == 5432 and s.postgres.database == "microservices"
    assert s.kafka and s.kafka.bootstrap_servers == ("kafka-kafka-bootstrap.kafka.svc.cluster.local:9092", "other:9093")
    assert s.kafka.topics == ("events", "audit")
    assert s.redis and s.redis.sentinel_master == "mymaster" and s.redis.sentinel_password == "sent1nel"
    assert s.mqtt and s.mqtt.port == 1883


def test_without_a_sentinel_master_redis_is_direct():
    env = {k: v for k, v in FULL.items() if not k.startswith("REDIS_SENTINEL")}
    s = load_settings(env, ["redis"])
    assert s.redis and s.redis.sentinel_master is None and s.redis.sentinel_password is None


def test_every_problem_is_reported_at_once_naming_the_variable():
    env = {**FULL, "POSTGRES_PORT": "54x", "MQTT_PORT": "70000", "KAFKA_BOOTSTRAP_SERVERS": "nohost", "KAFKA_TOPICS": "audit"}
    del env["REDIS_PASSWORD"]
    del env["APP_NAME"]
    with pytest.raises(ConfigError) as err:
        load_settings(env, ALL)
    message = str(err.value)
    for name in ["APP_NAME", "POSTGRES_PORT", "MQTT_PORT", "KAFKA_BOOTSTRAP_SERVERS: 'nohost'", "KAFKA_TOPICS must include 'events'", "REDIS_PASSWORD"]:
        assert name in message


def test_only_the_services_a_component_uses_are_required():
    worker_env = {k: v for k, v in FULL.items() if not k.startswith("POSTGRES_")}
    s = load_settings(worker_env, ["kafka", "redis", "mqtt"])
    assert s.postgres is None
    with pytest.raises(ConfigError, match="POSTGRES_HOST is not set"):
        load_settings(worker_env, ALL)


def test_passwords_never_show_in_repr():
    s = load_settings(FULL, ALL)
    text = repr(s)
    for secret in ["s3cret", "r3dis", "sent1nel", "mqtt'"]:
        assert secret not in text


def test_log_level_is_checked():
    import logging

    from refapp.startup import configure_logging

    configure_logging("warning")
    assert logging.getLogger("refapp").level == logging.WARNING
    configure_logging(None)
    assert logging.getLogger("refapp").level == logging.INFO
    with pytest.raises(ValueError, match="LOG_LEVEL"):
        configure_logging("loud")
