"""
`npm run smoke` (reference-app/smoke/smoke.js) against the api and the worker running here behind a
local HTTPS server whose certificate a throw-away test CA (openssl) signed; the frontend's build is
served on the same origin, as Traefik does. `pulumi` is a stub on PATH that prints the stack outputs
the apps stage exports (tlsCaCertificate, appUrls).
"""
import json
import os
import shutil
import stat
import subprocess

import pytest
from starlette.staticfiles import StaticFiles

from harness import running

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SMOKE = os.path.join(ROOT, "smoke", "smoke.js")
DIST = os.path.join(ROOT, "frontend", "dist")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(directory, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
            "-keyout", f"{name}.key", "-out", f"{name}.crt", cwd=directory)
    return os.path.join(directory, f"{name}.crt")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("pki"))
    ca = make_ca(d, "test-freeipa-ca")
    other = make_ca(d, "some-other-ca")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=refapp.test", "-keyout", "server.key", "-out", "server.csr", cwd=d)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "test-freeipa-ca.crt", "-CAkey", "test-freeipa-ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.ext", "-out", "server.crt", cwd=d)
    return {"ca": ca, "other": other, "cert": os.path.join(d, "server.crt"), "key": os.path.join(d, "server.key")}


def traefik_like(api_app):
    """One origin: /api to the api, the rest to the frontend's build (what the IngressRoutes do)."""
    assert os.path.exists(os.path.join(DIST, "index.html")), "frontend not built: run `npm run build` in reference-app/frontend"
    static = StaticFiles(directory=DIST, html=True)

    async def edge(scope, receive, send):
        if scope["type"] == "lifespan" or scope.get("path", "").startswith("/api"):
            await api_app(scope, receive, send)
        else:
            await static(scope, receive, send)

    return edge


def pulumi_stub(tmp_path, outputs, exit_code=0):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (tmp_path / "outputs.json").write_text(json.dumps(outputs))
    stub = bin_dir / "pulumi"
    stub.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {tmp_path}/pulumi.args\n'
        f'if [ {exit_code} -ne 0 ]; then echo "error: no stack selected" >&2; exit {exit_code}; fi\n'
        f"cat {tmp_path}/outputs.json\n"
    )
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    return str(bin_dir)


def smoke(bin_dir, *args, **env):
    node = shutil.which("node")
    full_env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", **env}
    return subprocess.run([node, SMOKE, *args], env=full_env, capture_output=True, text=True, timeout=120)


def outputs_for(port, ca_file, **extra):
    origin = f"https://127.0.0.1:{port}"
    return {
        "tlsCaCertificate": open(ca_file).read(),
        "appUrls": {"api": f"{origin}/api", "frontend": f"{origin}/", "grafana": "https://grafana.example/"},
        "kubeconfig": "not read",
        **extra,
    }


def test_smoke_passes_end_to_end_over_tls_trusting_only_the_stack_ca(api_env, worker_env, postgres, pki, tmp_path):
    with running(api_env, worker_env, postgres, app_wrapper=traefik_like, ssl_certfile=pki["cert"], ssl_keyfile=pki["key"]) as run:
        bin_dir = pulumi_stub(tmp_path, outputs_for(run.api.port, pki["ca"]))
        result = smoke(bin_dir, "--stack", "prod")
        assert result.returncode == 0, result.stdout + result.stderr
        out = result.stdout
        for line in ["frontend https://127.0.0.1", "notification stream open", "stored in PostgreSQL, published to Kafka events/0@0",
                     "redis: {", "mqtt: {", "notification relayed to the browser stream: processed by reference-worker@",
                     "crossed PostgreSQL, Kafka, Redis and MQTT"]:
            assert line in out, out
        assert (tmp_path / "pulumi.args").read_text().split() == ["stack", "output", "--json", "--show-secrets", "--stack", "prod"]
        # The order it made is really there, complete.
        order_id = out.split("smoke: order ", 1)[1].split()[0]
        assert run.bus.read("events", 0).key == order_id


def test_smoke_fails_clearly_on_a_wrong_ca(api_env, worker_env, postgres, pki, tmp_path):
    with running(api_env, worker_env, postgres, app_wrapper=traefik_like, ssl_certfile=pki["cert"], ssl_keyfile=pki["key"]) as run:
        bin_dir = pulumi_stub(tmp_path, outputs_for(run.api.port, pki["other"]))
        result = smoke(bin_dir)
        assert result.returncode == 1
        assert "smoke: FAILED: TLS check failed for https://127.0.0.1:" in result.stderr
        assert "not signed by the stack's tlsCaCertificate" in result.stderr
        assert run.bus.read("events", 0) is None  # it stopped before creating anything


def test_smoke_names_the_hops_an_order_did_not_make(api_env, postgres, pki, tmp_path):
    # No worker: the order is stored and published but never reaches Redis or MQTT.
    with running(api_env, None, postgres, app_wrapper=traefik_like, ssl_certfile=pki["cert"], ssl_keyfile=pki["key"]) as run:
        bin_dir = pulumi_stub(tmp_path, outputs_for(run.api.port, pki["ca"]))
        result = smoke(bin_dir, SMOKE_TIMEOUT_SECONDS="3")
        assert result.returncode == 1
        assert "did not cross kafka, redis, mqtt within 3s (status created)" in result.stderr


@pytest.mark.parametrize(
    "outputs, message",
    [
        ({"appUrls": {}}, "stack output tlsCaCertificate is missing"),
        ({"tlsCaCertificate": "-----BEGIN CERTIFICATE-----\n"}, "stack output appUrls (app name -> URL) is missing"),
        ({"tlsCaCertificate": "-----BEGIN CERTIFICATE-----\n", "appUrls": {"grafana": "https://g/"}},
         "appUrls.frontend is missing (appUrls has: grafana)"),
        ({"tlsCaCertificate": "-----BEGIN CERTIFICATE-----\n", "appUrls": {"frontend": "http://x/", "api": "https://x/api"}},
         "appUrls.frontend must be https"),
    ],
)
def test_smoke_names_the_missing_or_bad_output(tmp_path, outputs, message):
    result = smoke(pulumi_stub(tmp_path, outputs))
    assert result.returncode == 1 and message in result.stderr, result.stderr


def test_smoke_app_names_can_be_overridden(api_env, worker_env, postgres, pki, tmp_path):
    with running(api_env, worker_env, postgres, app_wrapper=traefik_like, ssl_certfile=pki["cert"], ssl_keyfile=pki["key"]) as run:
        outputs = outputs_for(run.api.port, pki["ca"])
        outputs["appUrls"] = {"orders": outputs["appUrls"]["api"].removesuffix("/api"), "web": outputs["appUrls"]["frontend"]}
        result = smoke(pulumi_stub(tmp_path, outputs), SMOKE_API_APP="orders", SMOKE_FRONTEND_APP="web")
        assert result.returncode == 0, result.stderr


def test_smoke_reports_a_failing_pulumi(tmp_path):
    result = smoke(pulumi_stub(tmp_path, {}, exit_code=255))
    assert result.returncode == 1
    assert "could not read the stack outputs (pulumi stack output --json --show-secrets): error: no stack selected" in result.stderr
