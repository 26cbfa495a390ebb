"""The api on its own against the real servers (no worker): what it stores, publishes and reports."""
import httpx
import psycopg
import pytest

from refapp.events import InMemoryBus

from harness import running


def test_an_order_is_stored_in_postgresql_and_published_on_events(api_env, postgres):
    with running(api_env, None, postgres) as run:
        created = httpx.post(f"{run.base}/api/orders", json={"item": "café", "quantity": 2}, timeout=10)
        assert created.status_code == 201, created.text
        order = created.json()
        assert order["status"] == "created" and order["complete"] is False
        assert order["published"] == {"topic": "events", "partition": 0, "offset": 0}
        event = run.bus.read("events", 0)
        assert event.key == order["id"]
        assert event.value["type"] == "order.created" and event.value["item"] == "café" and event.value["quantity"] == 2
        # Without a worker, nothing beyond PostgreSQL and Kafka happened.
        read = httpx.get(f"{run.base}/api/orders/{order['id']}", timeout=10).json()
        assert read["status"] == "created" and read["complete"] is False
        assert read["path"]["postgresql"]["created_at"] and read["path"]["redis"] is None and read["path"]["mqtt"] is None
    with psycopg.connect(postgres.superuser_dsn(run.database)) as conn:
        assert conn.execute("SELECT id::text, item, quantity, status FROM orders").fetchall() == [(order["id"], "café", 2, "created")]


def test_bad_input_unknown_orders_health_and_metrics(api_env, postgres):
    with running(api_env, None, postgres) as run:
        assert httpx.post(f"{run.base}/api/orders", json={"item": "", "quantity": 1}).status_code == 422
        assert httpx.post(f"{run.base}/api/orders", json={"item": "x", "quantity": 0}).status_code == 422
        assert httpx.get(f"{run.base}/api/orders/not-a-uuid").status_code == 422
        assert httpx.get(f"{run.base}/api/orders/00000000-0000-4000-8000-000000000000").status_code == 404
        health = httpx.get(f"{run.base}/healthz")
        assert health.status_code == 200 and health.json() == {"status": "ok", "mqtt": "subscribed"}
        httpx.post(f"{run.base}/api/orders", json={"item": "x", "quantity": 1})
        assert "refapp_orders_created_total 1.0" in httpx.get(f"{run.base}/metrics").text


def test_a_restart_on_the_same_database_keeps_the_orders(api_env, postgres):
    with running(api_env, None, postgres) as run:
        order = httpx.post(f"{run.base}/api/orders", json={"item": "a", "quantity": 1}).json()
    # Second start on that database: the migrations find nothing to do, the order is still there.
    with running({**api_env, "POSTGRES_DB": run.database}, None) as again:
        assert httpx.get(f"{again.base}/api/orders/{order['id']}").json()["item"] == "a"
    with psycopg.connect(postgres.superuser_dsn(run.database)) as conn:
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == 2


def test_a_failed_publish_is_reported_and_the_order_kept(api_env, postgres, monkeypatch):
    with running(api_env, None, postgres) as run:
        def broker_down(*_args, **_kwargs):
            raise ConnectionError("broker down")

        monkeypatch.setattr(InMemoryBus, "append", broker_down)
        response = httpx.post(f"{run.base}/api/orders", json={"item": "b", "quantity": 1})
        monkeypatch.undo()
        assert response.status_code == 503
        body = response.json()
        assert body["error"] == "stored but not published to Kafka" and body["status"] == "created"
        assert httpx.get(f"{run.base}/api/orders/{body['id']}").status_code == 200
        assert "refapp_order_publish_failures_total 1.0" in httpx.get(f"{run.base}/metrics").text


def test_the_api_refuses_to_start_on_a_bad_environment(api_env):
    from refapp.api import create_app
    from refapp.settings import ConfigError

    env = {k: v for k, v in api_env.items() if k != "POSTGRES_PASSWORD"}
    monkey = pytest.MonkeyPatch()
    monkey.setattr("os.environ", env)
    try:
        with pytest.raises(ConfigError, match="POSTGRES_PASSWORD is not set"):
            create_app()
    finally:
        monkey.undo()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # uvicorn exits its thread
def test_the_api_does_not_start_with_a_wrong_database_password(api_env, monkeypatch):
    import refapp.api

    monkeypatch.setattr(refapp.api, "STARTUP_SECONDS", 2.0)
    with pytest.raises(RuntimeError, match="server failed to start"):
        with running({**api_env, "POSTGRES_PASSWORD": "wrong"}, None):
            pass
