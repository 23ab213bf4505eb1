"""Config validation: every error names the key, the bad value and what is allowed, all at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from infra.settings import ConfigError, Settings, parse_settings

ROOT = Path(__file__).resolve().parents[2]


def problems(raw: dict[str, str], stack: str = "t") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(stack, raw)
    return caught.value.problems


def test_defaults_are_valid():
    settings = parse_settings("t", {})
    assert settings.replicas == 2
    assert settings.lb_url == "http://127.0.0.1:8080"
    assert settings.api_memory == 512


def test_namespaced_keys_and_string_values_are_parsed():
    settings = parse_settings(
        "t",
        {
            "proving-ground:replicas": "4",
            "proving-ground:grafanaEnabled": "false",
            "proving-ground:images": '{"postgres": "postgres:16.6@sha256:' + "a" * 64 + '"}',
            "docker:host": "ssh://deploy@example.com",  # another provider's key: not ours to judge
            "proving-ground:postgresPassword": "set-with---secret",  # secrets are read separately
        },
    )
    assert settings.replicas == 4
    assert settings.grafana_enabled is False
    assert settings.images["postgres"].endswith("a" * 64)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("replicas", "0", "greater than or equal to 1"),
        ("replicas", "33", "less than or equal to 32"),
        ("replicas", "two", "valid integer"),
        ("lbHttpPort", "80", "greater than or equal to 1024"),
        ("lbHttpPort", "70000", "less than or equal to 65535"),
        ("apiMemory", "lots", "size like 64m or 1g"),
        ("apiMemory", "1k", "between 4m and 256g"),
        ("lbClientMaxBodySize", "17m", "between 1k and 16m"),
        ("prometheusRetention", "15 days", "should match pattern"),
        ("lbProxyTimeout", "0s", "should match pattern"),
        ("imageSource", "docker-hub", "'registry' or 'build'"),
        ("redisMaxmemoryPolicy", "lru", "'allkeys-lru'"),
        ("baseImage", "Not An Image", "image reference like name:tag"),
        ("images", '{"postgres": "postgres"}', "must be pinned"),
        ("images", '{"postgres": "postgres:latest"}', "must be pinned"),
        ("images", '{"mysql": "mysql:8.0"}', "roles with an upstream image: lb, postgres"),
        ("alertWebhookUrl", "not a url", "URL"),
        ("lbBindAddress", "localhost", "must be an IPv4 address"),
        ("lbBindAddress", "999.0.0.1", "must be an IPv4 address"),
        ("apiTrustedProxies", "10.0.0.0/8,lan", "'lan' is not"),
        ("postgresUser", "App-User", "should match pattern"),
        ("lbCpus", "0", "greater than or equal to 0.05"),
        ("exporterCpus", "65", "less than or equal to 64"),
        ("postgresCpus", "one", "valid number"),
    ],
)
def test_bad_value_names_key_value_and_what_is_allowed(key, value, message):
    [problem] = problems({key: value})
    assert problem.startswith(f"proving-ground:{key}")
    assert message in problem
    if not value.startswith("{"):
        assert repr(value) in problem


def test_unknown_key_is_reported():
    [problem] = problems({"replica": "3"})
    assert problem == "proving-ground:replica: unknown key (see docs/configuration.md for the keys)"


def test_all_errors_are_reported_at_once():
    bad = {"replicas": "0", "lbHttpPort": "1", "apiMemory": "x", "logLevel": "loud"}
    found = problems(bad, stack="Bad_Stack")
    assert len(found) == 5
    assert found[0].startswith("stack name 'Bad_Stack'")
    with pytest.raises(ConfigError, match="stack 'Bad_Stack' has 5 invalid config value"):
        parse_settings("Bad_Stack", bad)


def test_cross_key_rules():
    found = "\n".join(problems({"imageSource": "build", "lbHttpPort": "9090", "redisMaxmemory": "512m"}))
    assert "grafanaEnabled: Grafana has no Debian-built image" in found
    assert "set grafanaEnabled=false or give images.grafana" in found
    assert "lbHttpPort, prometheusPort: each published port must differ (all are 9090)" in found
    assert "redisMaxmemory (512 MiB) must be below redisMemory (256 MiB)" in found


@pytest.mark.parametrize("user", ["postgres", "exporter"])
def test_the_api_database_user_is_not_a_role_the_stack_creates_itself(user):
    [problem] = problems({"postgresUser": user})
    assert problem == (
        f"proving-ground:postgresUser: '{user}' is a role the stack creates itself (postgres, exporter); "
        "choose another name for the API's user"
    )


def test_build_with_grafana_given_an_image_is_valid():
    grafana = '{"grafana": "grafana/grafana-oss:11.3.1"}'
    settings = parse_settings("t", {"imageSource": "build", "images": grafana})
    assert settings.grafana_enabled


def test_nothing_is_declared_when_config_is_invalid(declare_stack):
    with pytest.raises(ConfigError) as caught:
        declare_stack("bad", config_from="ci", replicas="0", lbHttpPort="99")
    assert len(caught.value.problems) == 2


def test_tls_provided_needs_both_secrets(declare_stack):
    with pytest.raises(ConfigError, match="tlsCertificate: required \\(as a secret\\)"):
        declare_stack("tls", config_from="dev", tlsEnabled="true", tlsCertSource="provided")


def test_pulumi_yaml_documents_every_key_with_the_model_default():
    documented = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    keys = {field.alias for name, field in Settings.model_fields.items() if name not in ("stack", "images")}
    assert set(documented) == keys
    defaults = parse_settings("t", {key: str(spec["default"]) for key, spec in documented.items()})
    assert defaults == parse_settings("t", {})
    assert all(spec["description"] for spec in documented.values())
    # The types the Pulumi CLI accepts in a project file (it refuses the file otherwise).
    assert {spec["type"] for spec in documented.values()} <= {
        "string",
        "integer",
        "boolean",
        "array",
        "object",
    }


def test_api_build_context_must_hold_a_dockerfile():
    with pytest.raises(ValueError, match="'no/such/folder' holds no Dockerfile"):
        parse_settings("t", {"proving-ground:apiBuildContext": "no/such/folder"})


def test_configuration_doc_lists_every_key():
    doc = (ROOT / "docs" / "configuration.md").read_text()
    for name, field in Settings.model_fields.items():
        if name != "stack":
            assert f"`{field.alias}`" in doc, f"docs/configuration.md does not document {field.alias}"


def test_config_from_the_engine_environment_is_read(monkeypatch, run_stack):
    """A real engine hands config over in PULUMI_CONFIG (JSON), not through set_all_config."""
    config = {"proving-ground:replicas": "3", "proving-ground:grafanaEnabled": "false"}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(config))
    declared = run_stack("envcfg", {})
    assert declared.outputs["apiReplicas"] == ["envcfg-api-0", "envcfg-api-1", "envcfg-api-2"]
    assert "grafanaUrl" not in declared.outputs
