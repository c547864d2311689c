"""`marketplace serve` as `make run` starts it: the page, the vendored htmx, health, the API."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from marketplace import schema

MARKETPLACE = str(Path(sys.executable).with_name("marketplace"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {**os.environ, "MARKETPLACE_VAR_DIR": str(tmp_path_factory.mktemp("var"))}
    env.pop("MARKETPLACE_DATABASE_URL", None)
    for command in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run([MARKETPLACE, *command], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([MARKETPLACE, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {server.stderr.read()}") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_home_page_lists_the_demo_cluster(base_url: str) -> None:
    response = httpx.get(base_url)

    assert response.status_code == 200
    assert "上州精密プレス株式会社" in response.text
    assert '<script src="/static/vendor/htmx.min.js"' in response.text


def test_htmx_is_served_from_our_own_static_route(base_url: str) -> None:
    response = httpx.get(f"{base_url}/static/vendor/htmx.min.js")

    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert 'version:"2.0.11"' in response.text.replace(" ", "")


def test_the_role_filter_answers_htmx_with_the_table_alone(base_url: str) -> None:
    response = httpx.get(f"{base_url}/?role=supplier", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="organisations"')
    assert "太田鋼板商事" in response.text
    assert "桐生モールド株式会社" not in response.text  # a buyer only


def test_health_is_ok_with_the_ledger_position(base_url: str) -> None:
    body = httpx.get(f"{base_url}/health").json()

    head = schema.head_revision()
    assert body["status"] == "ok"
    assert body["database"] == "sqlite"
    assert body["schema"] == {"database": head, "code": head}
    assert body["ledger_position"] > 50  # the demo cluster's history


def test_the_openapi_spec_is_served_without_a_cdn(base_url: str) -> None:
    spec = httpx.get(f"{base_url}/api/v1/schema/openapi.json").json()

    assert "/api/v1/organisations" in spec["paths"]
