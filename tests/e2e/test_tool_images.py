"""The Debian-built tool images (imageSource: build) keep the official images' interface.

Each image is built on the local Debian base and run with realistic configuration on a
throw-away network: nginx balances and reports stub_status, Postgres initialises from its
environment and refuses wrong passwords, Redis requires its password, every exporter reads a
real target, Prometheus scrapes them all and talks to Alertmanager.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import partial
from typing import Any

import docker
import pytest
from docker.models.containers import Container

from tests.e2e.images_configs import (
    ALERTMANAGER_YML,
    INTERFACES,
    NGINX_CONF,
    PROMETHEUS_YML,
    RULES_YML,
    TEST_ALERT,
)
from tests.e2e.images_conftest_helpers import (
    SERVICES,
    ImageLab,
    build_image,
    exec_ok,
    http_get,
    metric,
    process_uids,
    wait_until,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PG_USER, PG_PASSWORD, PG_DB = "shop", "pg-secret-1", "shopdb"
REDIS_PASSWORD = "redis-secret-1"


@pytest.fixture(scope="module")
def client() -> docker.DockerClient:
    return docker.from_env()


@pytest.fixture(scope="module")
def images(client: docker.DockerClient) -> dict[str, str]:
    return {name: build_image(client, name) for name in INTERFACES}


@pytest.fixture(scope="module")
def lab(client: docker.DockerClient) -> Iterator[ImageLab]:
    lab = ImageLab(client)
    try:
        yield lab
    finally:
        lab.close()


def psql_argv(host: str, password: str, sql: str) -> list[str]:
    return ["env", f"PGPASSWORD={password}", "psql", "-h", host, "-U", PG_USER, "-d", PG_DB, "-Atc", sql]


# --- the containers of a small stack, started once for the whole module -----------------------


@pytest.fixture(scope="module")
def lb(lab: ImageLab, images: dict[str, str]) -> Container:
    return lab.start("lb", images["nginx"], files={"/etc/nginx/nginx.conf": NGINX_CONF})


@pytest.fixture(scope="module")
def postgres(lab: ImageLab, images: dict[str, str]) -> Container:
    env = {"POSTGRES_USER": PG_USER, "POSTGRES_PASSWORD": PG_PASSWORD, "POSTGRES_DB": PG_DB}
    container = lab.start(
        "postgres",
        images["postgres"],
        environment=env,
        command=["postgres", "-c", "max_connections=42"],
        files={"/docker-entrypoint-initdb.d/01-seed.sql": "CREATE TABLE seeded AS SELECT 1 AS id;\n"},
    )
    # Over TCP: the temporary server during initialisation listens on the socket only.
    wait_until(
        container,
        lambda: exec_ok(container, "pg_isready", "-h", "127.0.0.1", "-U", PG_USER),
        "postgres ready",
    )
    return container


@pytest.fixture(scope="module")
def redis(lab: ImageLab, images: dict[str, str]) -> Container:
    return lab.start(
        "redis", images["redis"], command=["--requirepass", REDIS_PASSWORD, "--appendonly", "yes"]
    )


@pytest.fixture(scope="module")
def exporters(
    lab: ImageLab, images: dict[str, str], lb: Container, postgres: Container, redis: Container
) -> dict[str, Container]:
    dsn = f"postgresql://{PG_USER}:{PG_PASSWORD}@{postgres.name}:5432/{PG_DB}?sslmode=disable"
    return {
        "nginx": lab.start(
            "nginx-exporter",
            images["nginx-exporter"],
            command=[f"--nginx.scrape-uri=http://{lb.name}:8081/stub_status"],
        ),
        "postgres": lab.start(
            "postgres-exporter", images["postgres-exporter"], environment={"DATA_SOURCE_NAME": dsn}
        ),
        "redis": lab.start(
            "redis-exporter",
            images["redis-exporter"],
            environment={"REDIS_ADDR": f"redis://{redis.name}:6379", "REDIS_PASSWORD": REDIS_PASSWORD},
        ),
    }


@pytest.fixture(scope="module")
def alertmanager(lab: ImageLab, images: dict[str, str]) -> Container:
    return lab.start(
        "alertmanager", images["alertmanager"], files={"/etc/alertmanager/alertmanager.yml": ALERTMANAGER_YML}
    )


@pytest.fixture(scope="module")
def prometheus(
    lab: ImageLab, images: dict[str, str], exporters: dict[str, Container], alertmanager: Container
) -> Container:
    targets = {
        role: f"{container.name}:{port}"
        for role, container, port in (
            ("nginx", exporters["nginx"], 9113),
            ("postgres", exporters["postgres"], 9187),
            ("redis", exporters["redis"], 9121),
            ("alertmanager", alertmanager, 9093),
        )
    }
    files = {
        "/etc/prometheus/prometheus.yml": PROMETHEUS_YML.format(**targets),
        "/etc/prometheus/rules/imgtest.yml": RULES_YML,
    }
    return lab.start("prometheus", images["prometheus"], files=files)


# --- the images themselves --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(INTERFACES))
def test_dockerfile_takes_its_base_image_as_a_build_arg(name: str) -> None:
    dockerfile = (SERVICES / name / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=debian:bookworm-slim" in dockerfile
    assert re.findall(r"^FROM .*$", dockerfile, re.MULTILINE) == ["FROM ${BASE_IMAGE}"]


@pytest.mark.parametrize("name", sorted(INTERFACES))
def test_image_keeps_the_official_interface(
    client: docker.DockerClient, images: dict[str, str], name: str
) -> None:
    config = client.images.get(images[name]).attrs["Config"]
    expected = INTERFACES[name]
    assert frozenset(config.get("ExposedPorts") or {}) == expected.ports
    assert (config.get("User") or "") == expected.user
    assert config.get("Entrypoint") == expected.entrypoint
    assert config.get("Cmd") == expected.cmd
    assert config.get("StopSignal") == expected.stop_signal
    # A declared VOLUME leaves an anonymous volume behind every container the stack removes.
    assert not config.get("Volumes")


@pytest.mark.parametrize("name", sorted(INTERFACES))
def test_image_has_its_healthcheck_tools(lab: ImageLab, images: dict[str, str], name: str) -> None:
    tools = INTERFACES[name].tools
    code, output = lab.run_once(
        f"tools-{name}",
        images[name],
        entrypoint=["sh", "-c", 'for t; do command -v "$t" || exit 1; done', "sh"],
        command=list(tools),
    )
    assert code == 0, f"missing one of {tools}: {output}"


# --- nginx -------------------------------------------------------------------------------------


def test_nginx_accepts_the_uploaded_config(lb: Container) -> None:
    output = wait_until(lb, lambda: exec_ok(lb, "nginx", "-t"), "nginx -t")
    assert "test is successful" in output


def test_nginx_balances_across_every_upstream_server(lb: Container) -> None:
    def replica_of_one_request() -> str:
        headers = exec_ok(lb, "wget", "-S", "-q", "-O", "/dev/null", "http://127.0.0.1/")
        found = re.search(r"X-Replica-Id: (\S+)", headers)
        assert found, f"no X-Replica-Id in {headers}"
        return found.group(1)

    wait_until(lb, replica_of_one_request, "nginx answers on port 80")
    assert {replica_of_one_request() for _ in range(4)} == {"replica-1", "replica-2"}


def test_nginx_reports_stub_status_on_8081(lb: Container) -> None:
    status = wait_until(lb, lambda: http_get(lb, "http://127.0.0.1:8081/stub_status"), "stub_status")
    assert status.startswith("Active connections:")


def test_nginx_workers_do_not_run_as_root(lb: Container) -> None:
    uids = wait_until(lb, lambda: process_uids(lb), "nginx processes")
    assert {uid for args, uid in uids.items() if "master" in args} == {0}
    workers = {uid for args, uid in uids.items() if "worker" in args}
    assert workers, uids
    assert 0 not in workers


def test_nginx_runs_without_uploads_and_stops_gracefully(lab: ImageLab, images: dict[str, str]) -> None:
    server = lab.start("nginx-default", images["nginx"])
    wait_until(server, lambda: http_get(server, "http://127.0.0.1/"), "nginx's default site answers")
    server.stop(timeout=20)
    server.reload()
    assert server.attrs["State"]["ExitCode"] == 0, "SIGQUIT must let nginx finish and exit cleanly"


# --- postgres ----------------------------------------------------------------------------------


def test_postgres_accepts_its_credentials_from_another_container(
    lab: ImageLab, images: dict[str, str], postgres: Container
) -> None:
    # max_connections from the `-c` argument; the table from the init script, in POSTGRES_DB.
    sql = "SELECT current_setting('max_connections'), current_user, current_database(), id FROM seeded"
    code, output = lab.run_once(
        "psql", images["postgres"], command=psql_argv(postgres.name, PG_PASSWORD, sql)
    )
    assert (code, output.strip()) == (0, f"42|{PG_USER}|{PG_DB}|1")


def test_postgres_rejects_a_wrong_password_from_anywhere(
    lab: ImageLab, images: dict[str, str], postgres: Container
) -> None:
    code, output = lab.run_once(
        "psql", images["postgres"], command=psql_argv(postgres.name, "wrong", "SELECT 1")
    )
    assert code != 0
    assert "password authentication failed" in output
    # Loopback inside the container too: every TCP connection authenticates.
    code, raw = postgres.exec_run(psql_argv("127.0.0.1", "wrong", "SELECT 1"))
    assert code != 0
    assert b"password authentication failed" in raw


def test_postgres_refuses_to_initialise_without_a_password(lab: ImageLab, images: dict[str, str]) -> None:
    code, output = lab.run_once("postgres-nopw", images["postgres"])
    assert code == 1
    assert "set POSTGRES_PASSWORD" in output


def test_postgres_keeps_its_volume_across_containers_and_stops_cleanly(
    lab: ImageLab, images: dict[str, str]
) -> None:
    volume = lab.volume("postgres-data")
    env = {"POSTGRES_USER": PG_USER, "POSTGRES_PASSWORD": PG_PASSWORD, "POSTGRES_DB": PG_DB}
    mounts = {volume.name: {"bind": "/var/lib/postgresql/data", "mode": "rw"}}

    def start(role: str) -> Container:
        container = lab.start(role, images["postgres"], environment=env, volumes=mounts)
        wait_until(container, lambda: exec_ok(container, "pg_isready", "-h", "127.0.0.1"), f"{role} ready")
        return container

    first = start("postgres-v1")
    exec_ok(
        first, *psql_argv("127.0.0.1", PG_PASSWORD, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)")
    )
    first.stop(timeout=20)
    first.reload()
    assert first.attrs["State"]["ExitCode"] == 0, "SIGINT must shut Postgres down cleanly"

    second = start("postgres-v2")
    assert exec_ok(second, *psql_argv("127.0.0.1", PG_PASSWORD, "SELECT id FROM kept")).strip() == "7"
    assert b"init process complete" not in bytes(second.logs())


# --- redis -------------------------------------------------------------------------------------


def test_redis_requires_its_password(redis: Container) -> None:
    wait_until(redis, lambda: exec_ok(redis, "redis-cli", "ping"), "redis answers")
    assert "NOAUTH" in exec_ok(redis, "redis-cli", "ping")
    assert exec_ok(redis, "redis-cli", "ping", env={"REDISCLI_AUTH": REDIS_PASSWORD}).strip() == "PONG"


def test_redis_keeps_its_data_in_slash_data(redis: Container) -> None:
    auth = {"REDISCLI_AUTH": REDIS_PASSWORD}
    assert exec_ok(redis, "redis-cli", "config", "get", "dir", env=auth).split() == ["dir", "/data"]
    assert "appendonlydir" in exec_ok(redis, "ls", "/data")


def test_password_less_redis_answers_other_containers(lab: ImageLab, images: dict[str, str]) -> None:
    server = lab.start("redis-open", images["redis"])
    wait_until(server, lambda: exec_ok(server, "redis-cli", "ping"), "redis answers")
    code, output = lab.run_once(
        "redis-cli", images["redis"], command=["redis-cli", "-h", server.name, "ping"]
    )
    assert (code, output.strip()) == (0, "PONG")


# --- exporters, prometheus, alertmanager -------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "port", "up_metric"),
    [("nginx", 9113, "nginx_up"), ("postgres", 9187, "pg_up"), ("redis", 9121, "redis_up")],
)
def test_exporter_reads_its_target(
    exporters: dict[str, Container], target: str, port: int, up_metric: str
) -> None:
    exporter = exporters[target]

    def target_is_up() -> None:
        assert metric(http_get(exporter, f"http://127.0.0.1:{port}/metrics"), up_metric) == 1

    wait_until(exporter, target_is_up, f"{up_metric} == 1")


def test_prometheus_scrapes_every_target(prometheus: Container) -> None:
    def every_target_up() -> None:
        targets = json.loads(http_get(prometheus, "http://127.0.0.1:9090/api/v1/targets"))["data"][
            "activeTargets"
        ]
        health = {t["labels"]["job"]: t["health"] for t in targets}
        assert health == dict.fromkeys(("prometheus", "alertmanager", "nginx", "postgres", "redis"), "up")

    wait_until(prometheus, every_target_up, "every target up", timeout=45)
    exec_ok(prometheus, "promtool", "check", "config", "/etc/prometheus/prometheus.yml")


def test_prometheus_loads_rules_and_finds_alertmanager(
    prometheus: Container, alertmanager: Container
) -> None:
    def api(path: str) -> dict[str, Any]:
        return dict(json.loads(http_get(prometheus, f"http://127.0.0.1:9090/api/v1/{path}"))["data"])

    wait_until(prometheus, lambda: http_get(prometheus, "http://127.0.0.1:9090/-/ready"), "prometheus ready")
    assert [group["name"] for group in api("rules")["groups"]] == ["imgtest-availability"]

    def connected_alertmanagers() -> list[str]:
        urls = [am["url"] for am in api("alertmanagers")["activeAlertmanagers"]]
        assert urls, "no active Alertmanager yet"
        return urls

    urls = wait_until(prometheus, connected_alertmanagers, "prometheus discovers alertmanager")
    assert urls == [f"http://{alertmanager.name}:9093/api/v2/alerts"]


def test_alertmanager_accepts_alerts(alertmanager: Container) -> None:
    wait_until(
        alertmanager,
        lambda: http_get(alertmanager, "http://127.0.0.1:9093/-/healthy"),
        "alertmanager healthy",
    )
    exec_ok(alertmanager, "amtool", "check-config", "/etc/alertmanager/alertmanager.yml")
    exec_ok(
        alertmanager,
        "wget",
        "-q",
        "-O",
        "/dev/null",
        "--header=Content-Type: application/json",
        f"--post-data={TEST_ALERT}",
        "http://127.0.0.1:9093/api/v2/alerts",
    )
    alerts = json.loads(http_get(alertmanager, "http://127.0.0.1:9093/api/v2/alerts"))
    assert "ImageTestAlert" in {alert["labels"]["alertname"] for alert in alerts}


@pytest.mark.parametrize(
    ("role", "uid"),
    [("postgres", 999), ("redis", 999), ("prometheus", 65534), ("alertmanager", 65534), ("exporters", 65534)],
)
def test_server_runs_as_its_unprivileged_user(request: pytest.FixtureRequest, role: str, uid: int) -> None:
    started = request.getfixturevalue(role)
    for container in started.values() if isinstance(started, dict) else [started]:
        uids = wait_until(container, partial(process_uids, container), f"{container.name} processes")
        assert set(uids.values()) == {uid}, uids


@pytest.mark.parametrize(
    ("name", "environment"), [("redis", {}), ("postgres", {"POSTGRES_PASSWORD": PG_PASSWORD})]
)
def test_started_as_root_the_server_drops_to_its_user(
    lab: ImageLab, images: dict[str, str], name: str, environment: dict[str, str]
) -> None:
    server = lab.start(f"{name}-as-root", images[name], user="0", environment=environment)

    def dropped_privileges() -> None:
        uids = process_uids(server)
        assert uids, "no process yet"
        assert set(uids.values()) == {999}, uids

    # The entrypoint starts as root and must end with every process as the server's user.
    wait_until(server, dropped_privileges, f"{name} started as root drops to uid 999")
