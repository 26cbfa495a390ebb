"""Schema and queries against the real PostgreSQL server (scram password over TCP, as in prod)."""
import asyncio
import uuid

import psycopg
import pytest
from psycopg.rows import dict_row

from refapp import database
from refapp.settings import load_settings


def app_conninfo(postgres, dbname=None, password=None):
    env = {"APP_NAME": "t", **postgres.env()}
    if dbname:
        env["POSTGRES_DB"] = dbname
    if password:
        env["POSTGRES_PASSWORD"] = password
    return database.conninfo(load_settings(env, ["postgres"]).postgres, "refapp-test")


def test_the_server_demands_the_scram_password(postgres):
    with psycopg.connect(app_conninfo(postgres)) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == postgres.user
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(app_conninfo(postgres, password="wrong"))


def test_migrate_applies_every_step_once_and_a_rerun_changes_nothing(postgres):
    name = f"mig_{uuid.uuid4().hex[:8]}"
    postgres.create_database(name)

    async def run():
        async with await psycopg.AsyncConnection.connect(app_conninfo(postgres, name), row_factory=dict_row) as conn:
            first = await database.migrate(conn)
            second = await database.migrate(conn)
            cur = await conn.execute("SELECT count(*) AS n FROM schema_migrations")
            return first, second, (await cur.fetchone())["n"]

    first, second, rows = asyncio.run(run())
    assert first == [v for v, _ in database.MIGRATIONS]
    assert second == []
    assert rows == len(database.MIGRATIONS)


def test_replicas_migrating_at_once_do_not_race(postgres):
    name = f"race_{uuid.uuid4().hex[:8]}"
    postgres.create_database(name)

    async def one():
        async with await psycopg.AsyncConnection.connect(app_conninfo(postgres, name), row_factory=dict_row) as conn:
            return await database.migrate(conn)

    async def many():
        return await asyncio.gather(*(one() for _ in range(4)))

    results = asyncio.run(many())
    assert sorted(len(r) for r in results) == [0, 0, 0, len(database.MIGRATIONS)]


def test_orders_round_trip_and_notified_is_recorded_once(postgres):
    name = f"orders_{uuid.uuid4().hex[:8]}"
    postgres.create_database(name)

    async def run():
        async with await psycopg.AsyncConnection.connect(app_conninfo(postgres, name), row_factory=dict_row, autocommit=True) as conn:
            await database.migrate(conn)
            order = await database.insert_order(conn, "lámpara", 3)
            again = await database.get_order(conn, order.id)
            first = await database.mark_notified(conn, order.id)
            second = await database.mark_notified(conn, order.id)
            after = await database.get_order(conn, order.id)
            missing = await database.get_order(conn, uuid.uuid4())
            with pytest.raises(psycopg.errors.CheckViolation):
                await database.insert_order(conn, "x", 0)
            return order, again, first, second, after, missing

    order, again, first, second, after, missing = asyncio.run(run())
    assert again == order and order.status == "created" and order.item == "lámpara"
    assert (first, second) == (True, False)
    assert after.status == "notified" and after.notified_at is not None
    assert missing is None
