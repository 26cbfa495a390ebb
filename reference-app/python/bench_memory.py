"""
Prints the peak memory (VmHWM) and CPU time of the api and of the worker, each in its own process,
handling N orders against the real PostgreSQL, Redis (Sentinel) and Mosquitto test servers, with the
in-memory Kafka stand-in (aiokafka is imported, as in the image, but no broker runs here). The
figures back the requests/limits prod's stack config gives the apps.

  reference-app/.venv/bin/python reference-app/python/bench_memory.py [orders]   (default 500)
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "tests")]


def peak_rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(role: str, env: dict[str, str], orders: int) -> None:
    import aiokafka  # noqa: F401 - loaded in the image too
    import httpx

    from refapp import api, worker
    from refapp.events import InMemoryBus
    from refapp.settings import load_settings
    from servers import ServerThread

    bus = InMemoryBus()
    start = cpu_seconds()
    if role == "api":
        app = api.create_app(load_settings(env, ["postgres", "kafka", "redis", "mqtt"]), publisher=bus.publisher())
        with ServerThread(app) as server, httpx.Client(base_url=f"http://127.0.0.1:{server.port}") as client:
            for n in range(orders):
                order = client.post("/api/orders", json={"item": f"bench {n}", "quantity": 1}).json()
                client.get(f"/api/orders/{order['id']}")
    else:
        for n in range(orders):
            bus.append("events", f"o{n}", {"type": "order.created", "order_id": f"bench-{n}", "item": "bench", "quantity": 1})
        settings = load_settings(env, ["kafka", "redis", "mqtt"])
        app = worker.create_app(settings, consumer=bus.consumer(["events"], settings.app_name))
        with ServerThread(app):
            while bus.committed(settings.app_name, "events") < orders:
                time.sleep(0.05)
    print(json.dumps({"role": role, "orders": orders, "peak_rss_mib": round(peak_rss_mib(), 1), "cpu_seconds": round(cpu_seconds() - start, 2)}))


def main() -> None:
    import servers

    orders = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    root = tempfile.mkdtemp(prefix="refapp-bench-")
    os.chmod(root, 0o755)
    pg, redis, mqtt = servers.start_postgres(root), servers.start_redis(root), servers.start_mosquitto(root)
    try:
        kafka = {"KAFKA_BOOTSTRAP_SERVERS": "kafka:9092", "KAFKA_TOPICS": "events"}
        envs = {
            "api": {"APP_NAME": "api", **pg.env(), **kafka, **redis.sentinel_env(), **mqtt.env(), "LOG_LEVEL": "warning"},
            "worker": {"APP_NAME": "worker", **kafka, **redis.sentinel_env(), **mqtt.env(), "LOG_LEVEL": "warning"},
        }
        for role, env in envs.items():
            out = subprocess.run([sys.executable, __file__, "--child", role, json.dumps(env), str(orders)],
                                 capture_output=True, text=True, timeout=600, check=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{role:7} {orders} orders: peak RSS {result['peak_rss_mib']} MiB, CPU {result['cpu_seconds']} s "
                  f"({1000 * result['cpu_seconds'] / orders:.1f} ms per order)")
    finally:
        servers.stop_mosquitto(mqtt)
        servers.stop_redis(redis)
        servers.stop_postgres(pg)
        import shutil

        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
