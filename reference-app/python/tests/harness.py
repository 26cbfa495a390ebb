"""The api and the worker in this process (each on its own thread and loop), with the fake Kafka bus between them."""
from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from typing import Iterator, Optional

from refapp import api, worker
from refapp.events import InMemoryBus
from refapp.settings import load_settings

from servers import ServerThread


@dataclass
class Running:
    api: ServerThread
    worker: Optional[ServerThread]
    bus: InMemoryBus
    database: str

    @property
    def base(self) -> str:
        return f"{'https' if self.api.server.config.ssl_certfile else 'http'}://127.0.0.1:{self.api.port}"


@contextlib.contextmanager
def running(api_env: dict, worker_env: Optional[dict], postgres=None, bus: Optional[InMemoryBus] = None, app_wrapper=None, **server_config) -> Iterator[Running]:
    """Starts the api (on a database of its own when `postgres` is given) and, with `worker_env`, the worker."""
    bus = bus or InMemoryBus()
    env = dict(api_env)
    if postgres is not None:
        name = f"t_{uuid.uuid4().hex[:10]}"
        postgres.create_database(name)
        env["POSTGRES_DB"] = name
    api_app = api.create_app(load_settings(env, ["postgres", "kafka", "redis", "mqtt"]), publisher=bus.publisher())
    served = app_wrapper(api_app) if app_wrapper else api_app
    with contextlib.ExitStack() as stack:
        api_server = stack.enter_context(ServerThread(served, **server_config))
        worker_server = None
        if worker_env is not None:
            settings = load_settings(worker_env, ["kafka", "redis", "mqtt"])
            worker_app = worker.create_app(settings, consumer=bus.consumer(["events"], settings.app_name))
            worker_server = stack.enter_context(ServerThread(worker_app))
        yield Running(api_server, worker_server, bus, env["POSTGRES_DB"])
