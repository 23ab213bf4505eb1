"""Target selection: stack outputs, or --host plus PG_API_KEY; loopback only unless allowed."""

from __future__ import annotations

from typing import Any

import pytest

from load import target
from load.target import TargetError, resolve_target

OUTPUTS = {"lbUrl": "http://127.0.0.1:18080/", "apiKey": "stack-key", "apiReplicas": ["ci-api-0", "ci-api-1"]}


@pytest.fixture
def stack_outputs(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    outputs = dict(OUTPUTS)
    monkeypatch.setattr(target, "load_outputs", lambda stack: outputs)
    monkeypatch.delenv("PG_API_KEY", raising=False)
    return outputs


def test_stack_outputs_give_url_key_and_replicas(stack_outputs: dict[str, Any]) -> None:
    assert resolve_target("ci", None) == target.Target(
        "http://127.0.0.1:18080", "stack-key", ("ci-api-0", "ci-api-1")
    )


def test_host_and_environment_key_override_the_stack(
    stack_outputs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PG_API_KEY", "env-key")
    assert resolve_target("ci", None).api_key == "env-key"
    assert resolve_target("ci", "http://localhost:9000") == target.Target("http://localhost:9000", "env-key")


def test_stack_without_lb_url_lists_its_outputs(stack_outputs: dict[str, Any]) -> None:
    del stack_outputs["lbUrl"]
    with pytest.raises(TargetError, match="no lbUrl output; its outputs: apiKey, apiReplicas"):
        resolve_target("ci", None)


def test_missing_key_is_explained(stack_outputs: dict[str, Any]) -> None:
    with pytest.raises(TargetError, match="PG_API_KEY is not set"):
        resolve_target("ci", "http://127.0.0.1:1")


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("ftp://127.0.0.1", "http or https"),
        ("127.0.0.1:8080", "http or https"),
        ("http://10.0.0.5:8080", "not a loopback address; pass --allow-remote"),
    ],
)
def test_bad_or_remote_hosts_are_refused(host: str, message: str) -> None:
    with pytest.raises(TargetError, match=message):
        resolve_target("ci", host, api_key="k")


def test_remote_hosts_are_allowed_when_asked() -> None:
    assert (
        resolve_target("ci", "http://10.0.0.5:8080", api_key="k", allow_remote=True).host
        == "http://10.0.0.5:8080"
    )
