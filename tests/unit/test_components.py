"""What each component hands its containers: files, flags, environment, healthchecks."""

from __future__ import annotations

import re
import shlex

from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from infra.components._container import FILE_ENV_PREFIX
from infra.configs.grafana.dashboards import all_dashboards
from infra.configs.prometheus.render import rule_files

WRITE_LINE = re.compile(rf'^printf %s "\$({FILE_ENV_PREFIX}\d+)" >(.+)$', re.MULTILINE)


def envs(container: dict) -> list[str]:
    return [unwrap_rpc_secret(item) for item in unwrap_rpc_secret(container.get("envs") or [])]


def uploads(container: dict) -> dict[str, str]:
    """The files the program hands a container, by path: each one's content travels in the
    environment and the entry point's preamble writes it (infra/components/_container.py)."""
    assert "uploads" not in container, "a read-only rootfs takes no uploads"
    script = container["entrypoints"][2]
    values = dict(item.split("=", 1) for item in envs(container) if item.startswith(FILE_ENV_PREFIX))
    return {shlex.split(path)[0]: values[name] for name, path in WRITE_LINE.findall(script)}


def file_env_is_secret(container: dict, path: str) -> bool:
    """The file's content is in the environment as a secret (the list is wrapped as a whole)."""
    assert path in uploads(container)
    return is_rpc_secret(container["envs"])


def test_grafana_is_provisioned_with_datasource_and_every_dashboard(declare_stack):
    grafana = declare_stack("dev").containers["dev-grafana"]
    files = uploads(grafana)
    assert "http://dev-prometheus:9090" in files["/etc/grafana/provisioning/datasources/prometheus.yml"]
    assert "/etc/grafana/dashboards" in files["/etc/grafana/provisioning/dashboards/proving-ground.yml"]
    assert {f"/etc/grafana/dashboards/{name}" for name in all_dashboards()} <= set(files)
    assert is_rpc_secret(grafana["envs"])
    assert "GF_AUTH_ANONYMOUS_ENABLED=false" in envs(grafana)
    assert any(item.startswith("GF_SECURITY_ADMIN_PASSWORD=GENERATED-SECRET") for item in envs(grafana))


def test_prometheus_gets_its_config_every_rule_file_and_retention(declare_stack):
    prometheus = declare_stack("ci").containers["ci-prometheus"]
    files = uploads(prometheus)
    assert "ci-api-1:8000" in files["/etc/prometheus/prometheus.yml"]
    assert {f"/etc/prometheus/rules/{name}" for name in rule_files()} <= set(files)
    assert "--storage.tsdb.retention.time=1d" in prometheus["command"]
    assert prometheus["volumes"][0]["containerPath"] == "/prometheus"


def test_redis_config_carries_persistence_memory_policy_and_acl_users(declare_stack):
    declared = declare_stack("ci")
    redis = declared.containers["ci-redis"]
    assert file_env_is_secret(redis, "/usr/local/etc/redis/redis.conf")
    conf = uploads(redis)["/usr/local/etc/redis/redis.conf"]
    assert "appendonly yes" in conf
    assert "maxmemory 64mb" in conf
    assert "maxmemory-policy allkeys-lru" in conf
    assert "requirepass" not in conf
    assert "user default off resetpass resetkeys resetchannels -@all\n" in conf
    users = {line.split()[1]: line for line in conf.splitlines() if line.startswith("user ")}
    assert set(users) == {"default", "app", "exporter"}
    assert users["app"].endswith("-@dangerous")
    assert "+config|get" in users["exporter"]
    assert "+@write" not in users["exporter"]
    # Only hashes of the passwords: no generated secret in the file itself.
    assert not any(secret in conf for secret in declared.generated_secrets)
    assert redis["command"] == ["docker-entrypoint.sh", "redis-server", "/usr/local/etc/redis/redis.conf"]
    assert redis["healthcheck"]["tests"] == ["CMD-SHELL", "redis-cli --user exporter ping | grep -q PONG"]


def test_postgres_has_a_superuser_the_api_role_and_the_exporter_role(declare_stack):
    postgres = declare_stack("dev").containers["dev-postgres"]
    env = envs(postgres)
    assert {"POSTGRES_USER=postgres", "POSTGRES_DB=app", "POSTGRES_HOST_AUTH_METHOD=scram-sha-256"} <= set(
        env
    )
    assert "POSTGRES_INITDB_ARGS=--auth-local=scram-sha-256 --auth-host=scram-sha-256" in env
    passwords = [item.split("=", 1)[0] for item in env if "PASSWORD=GENERATED-SECRET" in item]
    assert sorted(passwords) == ["APP_DB_PASSWORD", "EXPORTER_DB_PASSWORD", "POSTGRES_PASSWORD"]
    assert len({item.split("=", 1)[1] for item in env if "PASSWORD=" in item}) == 3  # all different
    script = uploads(postgres)["/docker-entrypoint-initdb.d/10-stack-roles.sh"]
    assert 'CREATE ROLE "app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE' in script
    assert 'ALTER DATABASE "app" OWNER TO "app";' in script
    assert "IN ROLE pg_monitor" in script
    assert postgres["command"] == [
        "docker-entrypoint.sh",
        "postgres",
        "-c",
        "password_encryption=scram-sha-256",
    ]
    assert postgres["healthcheck"]["tests"][:2] == ["CMD", "pg_isready"]


def test_exporters_point_at_their_targets(declare_stack):
    containers = declare_stack("ci").containers
    assert containers["ci-nginx-exporter"]["command"] == ["--nginx.scrape-uri=http://ci-lb:8081/stub_status"]
    dsn = next(e for e in envs(containers["ci-postgres-exporter"]) if e.startswith("DATA_SOURCE_NAME="))
    assert dsn.startswith("DATA_SOURCE_NAME=postgresql://exporter:")
    assert dsn.endswith("@ci-postgres:5432/app?sslmode=disable")
    assert {"REDIS_ADDR=redis://ci-redis:6379", "REDIS_USER=exporter"} <= set(
        envs(containers["ci-redis-exporter"])
    )


def test_exporter_healthchecks_fit_the_image(declare_stack):
    # The upstream nginx exporter image is FROM scratch: no wget there, only the binary itself.
    upstream = declare_stack("dev").containers["dev-nginx-exporter"]["healthcheck"]["tests"]
    built = declare_stack("ci").containers["ci-nginx-exporter"]["healthcheck"]["tests"]
    assert upstream == ["CMD", "/usr/bin/nginx-prometheus-exporter", "--version"]
    assert built[:2] == ["CMD", "wget"]


def image_tags(declared, stack: str) -> dict[str, str]:
    images = declared.of_type("docker:index/remoteImage:RemoteImage")
    return {image.name.removeprefix(f"{stack}-"): image.inputs["name"].rsplit(":", 1)[1] for image in images}


def test_built_image_tags_depend_on_content_not_on_the_run(declare_stack):
    first = image_tags(declare_stack("tag-a", config_from="ci"), "tag-a")
    second = image_tags(declare_stack("tag-b", config_from="ci"), "tag-b")
    assert len(first) == 9
    assert first == second
