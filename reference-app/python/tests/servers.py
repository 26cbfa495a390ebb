"""
Throw-away PostgreSQL, Redis (and Sentinel) and Mosquitto servers from the Debian packages, with
authentication on as in prod: PostgreSQL scram-sha-256 over TCP, Redis `requirepass`, Mosquitto with
a password file and `allow_anonymous false`. Each listens on 127.0.0.1 at a free port, runs under
`timeout` (bounded even if the test process dies) and is stopped by the fixture that started it.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

#: No server outlives a test session by more than this, whatever happens to pytest.
SERVER_LIFETIME_SECONDS = "1500"
IS_ROOT = os.geteuid() == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_binary(name: str) -> Optional[str]:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def wait_for(check: Callable[[], bool], what: str, proc: subprocess.Popen, seconds: float = 30, log: str = "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {read(log)}")
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up in {seconds}s: {read(log)}")


def read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()[-2000:]
    except OSError:
        return ""


def spawn(command: list[str], log: str, **popen: Any) -> subprocess.Popen:
    """Starts a server under `timeout` (so it dies even if the test process does), output to `log`."""
    with open(log, "w") as out:
        if "user" in popen:
            os.chown(log, popen["user"], popen["group"])
        return subprocess.Popen(["timeout", SERVER_LIFETIME_SECONDS, *command], stdout=out, stderr=subprocess.STDOUT, **popen)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)  # `timeout` passes it on to the server
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@dataclass
class Postgres:
    port: int
    socket_dir: str
    database: str
    user: str
    password: str
    proc: subprocess.Popen

    def env(self) -> dict[str, str]:
        return {
            "POSTGRES_HOST": "127.0.0.1",
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_DB": self.database,
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
        }

    def superuser_dsn(self, database: str = "postgres") -> str:
        return f"host={self.socket_dir} port={self.port} user=postgres dbname={database}"

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.superuser_dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" OWNER "{self.user}"')


def start_postgres(root: str) -> Postgres:
    postgres, initdb = find_binary("postgres"), find_binary("initdb")
    if not postgres or not initdb:
        raise RuntimeError("PostgreSQL server binaries not found (Debian package postgresql)")
    # The server refuses to run as root: as root, run it as the `postgres` user the package creates.
    run_as: dict[str, Any] = {}
    if IS_ROOT:
        entry = pwd.getpwnam("postgres")
        run_as = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    base = tempfile.mkdtemp(prefix="refapp-pg-", dir=root)
    data, sockets = os.path.join(base, "data"), os.path.join(base, "run")
    os.makedirs(sockets)
    if IS_ROOT:
        for path in (base, sockets):
            os.chown(path, run_as["user"], run_as["group"])
    os.chmod(sockets, 0o700)
    # Local socket (private directory) trusted for the test's own setup; TCP needs a scram password, as in prod.
    subprocess.run(
        [initdb, "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"],
        check=True, capture_output=True, timeout=120, **run_as,
    )
    port = free_port()
    log = os.path.join(base, "server.log")
    proc = spawn(
        [postgres, "-D", data, "-p", str(port), "-c", "listen_addresses=127.0.0.1",
         "-c", f"unix_socket_directories={sockets}", "-c", "password_encryption=scram-sha-256", "-c", "fsync=off"],
        log, **run_as,
    )
    import psycopg

    pg = Postgres(port, sockets, "orders", "orders_app", "pg-Test-pass-1", proc)
    wait_for(lambda: bool(psycopg.connect(pg.superuser_dsn(), connect_timeout=2).close() or True), "postgres", proc, log=log)
    with psycopg.connect(pg.superuser_dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {pg.user} LOGIN PASSWORD '{pg.password}'")
        conn.execute(f"CREATE DATABASE {pg.database} OWNER {pg.user}")
    return pg


def stop_postgres(pg: Postgres) -> None:
    stop(pg.proc, signal.SIGINT)  # fast shutdown


@dataclass
class RedisServer:
    port: int
    password: str
    proc: subprocess.Popen
    sentinel_port: Optional[int] = None
    sentinel_password: Optional[str] = None
    sentinel_proc: Optional[subprocess.Popen] = None

    def env(self) -> dict[str, str]:
        return {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(self.port), "REDIS_PASSWORD": self.password}

    def sentinel_env(self) -> dict[str, str]:
        assert self.sentinel_port
        return {
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(self.sentinel_port),
            "REDIS_PASSWORD": self.password,
            "REDIS_SENTINEL_MASTER": "mymaster",
            "REDIS_SENTINEL_PASSWORD": self.sentinel_password or "",
        }


def _redis_ping(port: int, password: str) -> bool:
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, password=password, socket_timeout=1)
    try:
        return bool(client.ping())
    finally:
        client.close()


def start_redis(root: str) -> RedisServer:
    binary = find_binary("redis-server")
    if not binary:
        raise RuntimeError("redis-server not found (Debian package redis-server)")
    base = tempfile.mkdtemp(prefix="refapp-redis-", dir=root)
    port, password = free_port(), "redis-Test-pass-1"
    log = os.path.join(base, "redis.log")
    proc = spawn(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--requirepass", password, "--save", "", "--appendonly", "no", "--dir", base],
        log,
    )
    server = RedisServer(port, password, proc)
    wait_for(lambda: _redis_ping(port, password), "redis-server", proc, log=log)
    # A Sentinel watching it, with its own password, as the platform's redis-ha runs it.
    sentinel_port, sentinel_password = free_port(), "sentinel-Test-pass-1"
    conf = os.path.join(base, "sentinel.conf")
    with open(conf, "w") as f:
        f.write(
            f"bind 127.0.0.1\nport {sentinel_port}\ndir {base}\nrequirepass {sentinel_password}\n"
            f"sentinel monitor mymaster 127.0.0.1 {port} 1\nsentinel auth-pass mymaster {password}\n"
        )
    slog = os.path.join(base, "sentinel.log")
    server.sentinel_proc = spawn([binary, conf, "--sentinel"], slog)
    server.sentinel_port, server.sentinel_password = sentinel_port, sentinel_password
    wait_for(lambda: _redis_ping(sentinel_port, sentinel_password), "redis sentinel", server.sentinel_proc, log=slog)
    return server


def stop_redis(server: RedisServer) -> None:
    if server.sentinel_proc:
        stop(server.sentinel_proc)
    stop(server.proc)


@dataclass
class Mosquitto:
    port: int
    username: str
    password: str
    proc: subprocess.Popen
    log: str

    def env(self) -> dict[str, str]:
        return {"MQTT_HOST": "127.0.0.1", "MQTT_PORT": str(self.port), "MQTT_USERNAME": self.username, "MQTT_PASSWORD": self.password}


def start_mosquitto(root: str) -> Mosquitto:
    binary, passwd = find_binary("mosquitto"), find_binary("mosquitto_passwd")
    if not binary or not passwd:
        raise RuntimeError("mosquitto not found (Debian package mosquitto)")
    base = tempfile.mkdtemp(prefix="refapp-mqtt-", dir=root)
    username, password = "refapp", "mqtt-Test-pass-1"
    password_file = os.path.join(base, "passwd")
    subprocess.run([passwd, "-b", "-c", password_file, username, password], check=True, capture_output=True, timeout=30)
    os.chmod(password_file, 0o600)
    port = free_port()
    conf = os.path.join(base, "mosquitto.conf")
    me = pwd.getpwuid(os.geteuid()).pw_name
    with open(conf, "w") as f:
        # `user` = whoever runs the test: as root, mosquitto would otherwise drop to a user that cannot read the files.
        f.write(
            f"user {me}\nper_listener_settings false\nlistener {port} 127.0.0.1\nallow_anonymous false\n"
            f"password_file {password_file}\npersistence false\nlog_dest stderr\nlog_type error\nlog_type warning\n"
        )
    log = os.path.join(base, "mosquitto.log")
    proc = spawn([binary, "-c", conf], log)

    def listening() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    wait_for(listening, "mosquitto", proc, log=log)
    return Mosquitto(port, username, password, proc, log)


def stop_mosquitto(server: Mosquitto) -> None:
    stop(server.proc)


class ServerThread:
    """A uvicorn server for an ASGI app on its own thread and event loop, on 127.0.0.1."""

    def __init__(self, app: Any, port: Optional[int] = None, **config: Any):
        import uvicorn

        self.port = port or free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", timeout_graceful_shutdown=3, **config)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("server failed to start (see the log above)")
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in 60s")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.should_exit = True
        self.thread.join(15)
