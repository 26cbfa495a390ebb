"""
The built frontend (reference-app/frontend/dist, `npm run build`) served by the real nginx with the
image's nginx.conf, /api routed to the real api as Traefik does it, the worker and real services
behind: headless Chromium creates an order and the page shows its live notification.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile

import httpx
import pytest

from harness import running
from servers import find_binary, free_port, spawn, stop, wait_for

FRONTEND = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "frontend")
CONF = os.path.join(FRONTEND, "nginx.conf")


def test_nginx_writes_only_under_tmp_and_listens_unprivileged():
    conf = open(CONF).read()
    paths = re.findall(r"^\s*(?:pid|\w+_temp_path)\s+(\S+);", conf, re.M)
    assert len(paths) == 6 and all(p.startswith("/tmp/") for p in paths), paths
    assert re.findall(r"^\s*listen\s+(\S+);", conf, re.M) == ["8080"]
    assert "user " not in conf  # no privilege switch: the container starts as uid 10001
    assert not re.search(r"location\s+\S*/api", conf)  # Traefik routes /api, not nginx


def test_config_file_passes_nginx_t(tmp_path):
    nginx = find_binary("nginx")
    assert nginx, "nginx not found (Debian package nginx-light)"
    result = subprocess.run([nginx, "-t", "-e", "stderr", "-p", str(tmp_path), "-c", CONF], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def serve_frontend(workdir: str, api_port: int):
    """nginx with the image's config, files from dist, plus the /api route Traefik adds in the cluster."""
    nginx = find_binary("nginx")
    dist = os.path.join(FRONTEND, "dist")
    assert os.path.exists(os.path.join(dist, "index.html")), "frontend not built: run `npm run build` in reference-app/frontend"
    base = tempfile.mkdtemp(prefix="refapp-nginx-", dir=workdir)
    os.chmod(base, 0o755)
    html = os.path.join(base, "html")
    shutil.copytree(dist, html)
    port = free_port()
    traefik_route = (
        f"        location /api/ {{\n            proxy_pass http://127.0.0.1:{api_port};\n"
        "            proxy_buffering off;\n            proxy_http_version 1.1;\n        }\n\n"
        "        location = /healthz {"
    )
    conf = open(CONF).read().replace("/tmp/", f"{base}/")  # this test's own pid and temp paths
    conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{port};").replace("root /usr/share/nginx/html;", f"root {html};")
    conf = conf.replace("        location = /healthz {", traefik_route, 1)
    path = os.path.join(base, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    log = os.path.join(base, "nginx.log")
    proc = spawn([nginx, "-e", "stderr", "-p", base, "-c", path, "-g", "daemon off;"], log)
    wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200, "nginx", proc, log=log)
    return proc, port


@pytest.fixture()
def site(api_env, worker_env, postgres, workdir):
    with running(api_env, worker_env, postgres) as run:
        proc, port = serve_frontend(workdir, run.api.port)
        try:
            yield f"http://127.0.0.1:{port}", run
        finally:
            stop(proc)


def test_nginx_serves_the_single_page_app_with_its_headers(site):
    url, _ = site
    index = httpx.get(f"{url}/")
    assert index.status_code == 200 and '<div id="app">' in index.text
    assert index.headers["cache-control"] == "no-cache" and index.headers["x-content-type-options"] == "nosniff"
    asset = re.search(r'src="(/assets/[^"]+\.js)"', index.text).group(1)
    cached = httpx.get(f"{url}{asset}")
    assert cached.status_code == 200 and "immutable" in cached.headers["cache-control"]
    assert cached.headers["x-frame-options"] == "DENY"
    assert httpx.get(f"{url}/some/client/route").text == index.text  # history-mode fallback
    assert httpx.get(f"{url}/healthz").text == "ok\n"


def test_chromium_creates_an_order_and_shows_its_live_notification(site):
    url, run = site
    node = shutil.which("node")
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    assert node and os.path.exists(chromium), "node and Debian's chromium are needed"
    results = os.path.join(FRONTEND, "test-results")
    os.makedirs(results, exist_ok=True)
    screenshot = os.path.join(results, "browser-check.png")
    if os.path.exists(screenshot):
        os.remove(screenshot)
    check = subprocess.run(
        [node, os.path.join(FRONTEND, "e2e", "browser-check.mjs"), f"{url}/", screenshot, "40"],
        capture_output=True, text=True, timeout=120, cwd=FRONTEND,
    )
    assert check.returncode == 0, check.stderr + check.stdout
    summary = json.loads(check.stdout.strip().splitlines()[-1])
    assert summary["item"] in summary["notification"] and "processed" in summary["notification"]
    assert summary["hops"] == ["✔ PostgreSQL", "✔ Kafka", "✔ Redis", "✔ MQTT"]
    assert summary["consoleErrors"] == []
    assert os.path.getsize(screenshot) > 10_000
    # What the page showed is what the api stored.
    order = httpx.get(f"{run.base}/api/orders/{summary['orderId']}").json()
    assert order["complete"] is True and order["item"] == summary["item"] and order["quantity"] == 2
