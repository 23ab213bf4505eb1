"""What each component hands its containers: files, flags, environment, healthchecks."""

from __future__ import annotations

from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from infra.configs.grafana.dashboards import all_dashboards
from infra.configs.prometheus.render import rule_files


def uploads(container: dict) -> dict[str, str]:
    items = unwrap_rpc_secret(container["uploads"])
    return {item["file"]: unwrap_rpc_secret(item["content"]) for item in items}


def envs(container: dict) -> list[str]:
    return [unwrap_rpc_secret(item) for item in unwrap_rpc_secret(container.get("envs") or [])]


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


def test_redis_config_carries_persistence_memory_policy_and_a_secret_password(declare_stack):
    redis = declare_stack("ci").containers["ci-redis"]
    assert is_rpc_secret(redis["uploads"])
    conf = uploads(redis)["/usr/local/etc/redis/redis.conf"]
    assert "appendonly yes" in conf
    assert "maxmemory 64mb" in conf
    assert "maxmemory-policy allkeys-lru" in conf
    assert 'requirepass "GENERATED-SECRET' in conf
    assert redis["command"] == ["redis-server", "/usr/local/etc/redis/redis.conf"]


def test_postgres_is_initialised_from_env_and_checked_with_pg_isready(declare_stack):
    postgres = declare_stack("dev").containers["dev-postgres"]
    assert {"POSTGRES_USER=app", "POSTGRES_DB=app"} <= set(envs(postgres))
    assert postgres["healthcheck"]["tests"][:2] == ["CMD", "pg_isready"]


def test_exporters_point_at_their_targets(declare_stack):
    containers = declare_stack("ci").containers
    assert containers["ci-nginx-exporter"]["command"] == ["--nginx.scrape-uri=http://ci-lb:8081/stub_status"]
    dsn = next(e for e in envs(containers["ci-postgres-exporter"]) if e.startswith("DATA_SOURCE_NAME="))
    assert dsn.endswith("@ci-postgres:5432/app?sslmode=disable")
    assert "REDIS_ADDR=redis://ci-redis:6379" in envs(containers["ci-redis-exporter"])


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
