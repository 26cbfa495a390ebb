"""
The Dockerfiles and build-push.sh, checked without a registry (none is reachable here, so the images
are not built in CI): pinned base images, a numeric non-root user, no secrets, and a start command
that names this package's real entry points. build-push.sh runs for real with a stub container tool.
"""
import importlib
import os
import re
import stat
import subprocess

import pytest

from refapp.settings import load_settings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCKERFILES = {name: os.path.join(ROOT, name, "Dockerfile") for name in ("api", "worker", "frontend")}
SECRETISH = re.compile(r"(PASSWORD|SECRET|TOKEN|KEY)\b", re.I)


def instructions(path):
    lines, current = [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not current and (not line.strip() or line.lstrip().startswith("#")):
                continue
            current += line.rstrip("\\") + " "
            if not line.endswith("\\"):
                lines.append(current.strip())
                current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_base_images_are_pinned_by_version_tag(name):
    bases = [arg.split()[0] for op, arg in instructions(DOCKERFILES[name]) if op == "FROM"]
    assert bases
    for base in bases:
        image, _, tag = base.rpartition(":")
        assert image and re.match(r"^\d+\.\d+\.\d+", tag), f"{name}: {base} is not pinned to a version tag"


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_the_final_stage_runs_as_a_numeric_non_root_user(name):
    ops = instructions(DOCKERFILES[name])
    last_from = max(i for i, (op, _) in enumerate(ops) if op == "FROM")
    users = [arg for op, arg in ops[last_from:] if op == "USER"]
    assert users, f"{name}: no USER in the final stage"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) >= 10000 and (not gid or gid.isdigit())


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_no_secret_is_baked_in(name):
    for op, arg in instructions(DOCKERFILES[name]):
        if op in ("ENV", "ARG", "LABEL"):
            assert not SECRETISH.search(arg), f"{name}: {op} {arg}"


@pytest.mark.parametrize("name", ["api", "worker"])
def test_the_start_command_names_a_real_app_factory(name, monkeypatch):
    cmd = next(arg for op, arg in instructions(DOCKERFILES[name]) if op == "CMD")
    target = re.search(r'"--factory", "([\w.]+):(\w+)"', cmd)
    assert target and target.group(1) == f"refapp.{name}"
    factory = getattr(importlib.import_module(target.group(1)), target.group(2))
    assert callable(factory)
    assert '"--port", "8000"' in cmd


def test_every_runtime_requirement_is_pinned():
    with open(os.path.join(ROOT, "python", "requirements.txt")) as f:
        reqs = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    assert reqs and all(re.match(r"^[A-Za-z0-9_.-]+(\[[\w,]+\])?==[\w.]+$", r) for r in reqs), reqs


def make_stub(tmp_path):
    log = tmp_path / "calls.log"
    stub = tmp_path / "bin" / "docker"
    stub.parent.mkdir()
    stub.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{stub.parent}:{os.environ['PATH']}"}, log


def build_push(env, *args):
    return subprocess.run(["bash", os.path.join(ROOT, "build-push.sh"), *args], env=env, capture_output=True, text=True, timeout=60)


def test_build_push_builds_and_pushes_three_pinned_images(tmp_path):
    env, log = make_stub(tmp_path)
    with open(os.path.join(ROOT, "VERSION")) as f:
        version = f.read().strip()
    result = build_push({**env, "APPS_REGISTRY": "registry.example.com/fmc/"})
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    pushed = [c.split()[1] for c in calls if c.startswith("push ")]
    assert pushed == [f"registry.example.com/fmc/reference-{n}:{version}" for n in ("api", "worker", "frontend")]
    builds = [c for c in calls if c.startswith("build ")]
    assert len(builds) == 3 and builds[0].endswith(f"-t registry.example.com/fmc/reference-api:{version} {ROOT}/python")


def test_build_push_without_push_and_with_an_explicit_tag(tmp_path):
    env, log = make_stub(tmp_path)
    result = build_push({**env, "APPS_REGISTRY": "r.example/x", "REFAPP_TAG": "1.2.3"}, "--no-push")
    assert result.returncode == 0, result.stderr
    assert not [c for c in log.read_text().splitlines() if c.startswith("push ")]
    assert "r.example/x/reference-frontend:1.2.3" in result.stdout


@pytest.mark.parametrize(
    "env, message",
    [({}, "APPS_REGISTRY is not set"), ({"APPS_REGISTRY": "r.example", "REFAPP_TAG": "latest"}, "must be a pinned version")],
)
def test_build_push_refuses_bad_input_before_building(tmp_path, env, message):
    stub_env, log = make_stub(tmp_path)
    stub_env.pop("APPS_REGISTRY", None)
    result = build_push({**stub_env, **env})
    assert result.returncode == 2 and message in result.stderr
    assert not log.exists()


def test_settings_module_is_what_the_images_read():
    # The images read the contract through load_settings: nothing else reads os.environ for services.
    for module in ("api", "worker"):
        with open(os.path.join(ROOT, "python", "refapp", f"{module}.py")) as f:
            source = f.read()
        assert "load_settings(os.environ" in source
    assert load_settings


def test_the_frontend_image_runs_nginx_with_this_config_and_the_build():
    ops = instructions(DOCKERFILES["frontend"])
    assert ("COPY", "nginx.conf /etc/nginx/nginx.conf") in ops
    assert ("COPY", "--from=build /src/dist /usr/share/nginx/html") in ops
    entrypoint = next(arg for op, arg in ops if op == "ENTRYPOINT")
    assert json_list(entrypoint)[0] == "nginx"
    assert [arg for op, arg in ops if op == "EXPOSE"] == ["8080"]
    # The build stage copies exactly what `npm run build` reads.
    assert ("RUN", "npm ci --no-audit --no-fund") in ops and ("RUN", "npm run build") in ops


def json_list(text):
    import json

    value = json.loads(text)
    assert isinstance(value, list)
    return value
