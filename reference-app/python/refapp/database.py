"""
Orders in PostgreSQL. `migrate` runs at every start of every replica: each step is recorded in
`schema_migrations` and applied once, under an advisory lock so replicas starting together do not
race; re-running it changes nothing.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from psycopg import AsyncConnection
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from .settings import PostgresSettings

#: Arbitrary constant: the advisory lock the replicas take while migrating.
MIGRATION_LOCK = 7_412_001

#: (version, SQL) in order; never edit an applied step, append a new one.
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE orders (
            id uuid PRIMARY KEY,
            item text NOT NULL CHECK (length(item) BETWEEN 1 AND 200),
            quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
            status text NOT NULL DEFAULT 'created',
            created_at timestamptz NOT NULL DEFAULT now(),
            notified_at timestamptz
        )
        """,
    ),
    (2, "CREATE INDEX orders_created_at ON orders (created_at DESC)"),
)


@dataclass(frozen=True)
class Order:
    id: uuid.UUID
    item: str
    quantity: int
    status: str
    created_at: datetime
    notified_at: Optional[datetime]


def conninfo(settings: PostgresSettings, app_name: str) -> str:
    return make_conninfo(
        host=settings.host,
        port=str(settings.port),
        dbname=settings.database,
        user=settings.user,
        password=settings.password,
        application_name=app_name,
        connect_timeout="10",
    )


def create_pool(settings: PostgresSettings, app_name: str) -> AsyncConnectionPool:
    return AsyncConnectionPool(conninfo(settings, app_name), min_size=1, max_size=4, open=False, timeout=10, kwargs={"row_factory": dict_row})


async def migrate(conn: AsyncConnection) -> list[int]:
    """Applies the missing steps; returns the versions it applied (empty when up to date)."""
    applied: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cur = await conn.execute("SELECT version FROM schema_migrations")
        done = {row["version"] if isinstance(row, dict) else row[0] for row in await cur.fetchall()}
        for version, sql in MIGRATIONS:
            if version in done:
                continue
            await conn.execute(sql)
            await conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
            applied.append(version)
    return applied


def _order(row: dict) -> Order:
    return Order(row["id"], row["item"], row["quantity"], row["status"], row["created_at"], row["notified_at"])


async def insert_order(conn: AsyncConnection, item: str, quantity: int) -> Order:
    cur = await conn.execute(
        "INSERT INTO orders (id, item, quantity) VALUES (%s, %s, %s) RETURNING *", (uuid.uuid4(), item, quantity)
    )
    row = await cur.fetchone()
    return _order(row)


async def get_order(conn: AsyncConnection, order_id: uuid.UUID) -> Optional[Order]:
    cur = await conn.execute("SELECT * FROM orders WHERE id = %s", (order_id,))
    row = await cur.fetchone()
    return _order(row) if row else None


async def mark_notified(conn: AsyncConnection, order_id: uuid.UUID) -> bool:
    """Records that the order's MQTT notification reached the api; true the first time only."""
    cur = await conn.execute(
        "UPDATE orders SET status = 'notified', notified_at = now() WHERE id = %s AND notified_at IS NULL", (order_id,)
    )
    return cur.rowcount == 1
