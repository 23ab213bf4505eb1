"""How the offline provisioner reads inputs and stack config (no Docker needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.runtime.rpc import wrap_rpc_secret

from kit.engine.offline.container_spec import container_spec
from kit.engine.offline.stackconfig import effective_config
from kit.engine.offline.values import Inputs, UnsupportedInputError, go_duration_ns, plain


def test_plain_unwraps_nested_secrets_and_integral_floats() -> None:
    raw = {
        "length": 24.0,
        "ratio": 0.5,
        "envs": [wrap_rpc_secret("A=b")],
        "deep": {"x": wrap_rpc_secret(3.0)},
    }
    assert plain(raw) == {"length": 24, "ratio": 0.5, "envs": ["A=b"], "deep": {"x": 3}}


@pytest.mark.parametrize(
    ("text", "ns"), [("5s", 5 * 10**9), ("1m30s", 90 * 10**9), ("250ms", 250 * 10**6), ("0s", 0)]
)
def test_go_durations(text: str, ns: int) -> None:
    assert go_duration_ns(text, field="interval") == ns


def test_bad_duration_says_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="interval: '5 seconds' is not a duration like '30s'"):
        go_duration_ns("5 seconds", field="interval")


def test_unread_input_field_is_named() -> None:
    inputs = Inputs({"name": "x", "privileged": True, "dns": []}, "Container 'x'")
    assert inputs.get("name") == "x"
    with pytest.raises(
        UnsupportedInputError, match=r"Container 'x': input field\(s\) privileged not implemented"
    ):
        inputs.done()


def test_labels_list_becomes_a_dict() -> None:
    inputs = Inputs({"labels": [{"label": "a", "value": "1"}]}, "Network 'n'")
    assert inputs.labels() == {"a": "1"}
    inputs.done()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (tmp_path / "Pulumi.ci.yaml").write_text(
        "config:\n  demo:replicas: 2\n  demo:images: {lb: 'nginx:1'}\n  tlsEnabled: true\n"
    )
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  demo:dbPassword:\n    secure: AAABAx==\n")
    return tmp_path


def test_config_is_copied_from_another_stack_and_overridden(project: Path) -> None:
    config = effective_config(
        "e2e-x", config_from="ci", overrides=["replicas=3", "other:key=v"], root=project
    )
    assert config == {
        "demo:replicas": "3",
        "demo:images": '{"lb": "nginx:1"}',
        "demo:tlsEnabled": "true",
        "other:key": "v",
    }


def test_missing_stack_file_lists_the_stacks_that_exist(project: Path) -> None:
    with pytest.raises(ValueError, match=r"no stack file Pulumi.e2e-x.yaml .* ci, prod \(use --config-from"):
        effective_config("e2e-x", root=project)


def test_encrypted_values_are_refused_with_the_way_out(project: Path) -> None:
    with pytest.raises(ValueError, match=r"'demo:dbPassword' is encrypted .* --config demo:dbPassword=VALUE"):
        effective_config("prod", root=project)


def test_override_must_be_key_value(project: Path) -> None:
    with pytest.raises(ValueError, match="--config 'replicas' is not KEY=VALUE"):
        effective_config("ci", overrides=["replicas"], root=project)


def _spec_inputs(**fields: object) -> Inputs:
    return Inputs({"image": "img", "name": "c", **fields}, "Container 'c'")


def test_container_spec_applies_the_provider_defaults() -> None:
    spec = container_spec("c", _spec_inputs(ports=[{"internal": 80.0}], memory=64.0), endpoint_config=dict)
    # Any free host port, on every interface: the provider's default.
    assert spec.create_kwargs["ports"] == {"80/tcp": [("0.0.0.0",)]}  # noqa: S104
    assert "restart_policy" not in spec.create_kwargs  # restart "no"
    assert spec.create_kwargs["mem_limit"] == "64m"
    assert (spec.wait, spec.wait_timeout) == (False, 60.0)


def test_uploads_into_a_read_only_container_are_refused_before_creating_it() -> None:
    inputs = _spec_inputs(readOnly=True, uploads=[{"file": "/etc/x.conf", "content": "x"}])
    with pytest.raises(ValueError, match="uploads need a writable rootfs; drop readOnly or mount the files"):
        container_spec("c", inputs, endpoint_config=dict)


def test_hardening_inputs_map_to_the_docker_sdk_as_the_provider_passes_them() -> None:
    inputs = _spec_inputs(
        user="101:101",
        readOnly=True,
        tmpfs={"/tmp": "rw,noexec,size=16m"},
        capabilities={"drops": ["ALL"]},
        securityOpts=["no-new-privileges:true"],
        ulimits=[
            {"name": "nofile", "soft": 8192.0, "hard": 8192.0},
            {"name": "nproc", "soft": 64.0, "hard": 128.0},
        ],
        cpus="0.25",
    )
    kwargs = container_spec("c", inputs, endpoint_config=dict).create_kwargs
    assert (kwargs["user"], kwargs["read_only"], kwargs["tmpfs"]) == (
        "101:101",
        True,
        {"/tmp": "rw,noexec,size=16m"},
    )
    assert (kwargs["cap_drop"], kwargs["security_opt"]) == (["ALL"], ["no-new-privileges:true"])
    assert "cap_add" not in kwargs
    assert [(u.name, u.soft, u.hard) for u in kwargs["ulimits"]] == [
        ("nofile", 8192, 8192),
        ("nproc", 64, 128),
    ]
    assert kwargs["nano_cpus"] == 250_000_000


def test_a_ulimit_needs_all_three_fields() -> None:
    with pytest.raises(ValueError, match=r"ulimits\[0\]: input 'hard' is required"):
        container_spec("c", _spec_inputs(ulimits=[{"name": "nofile", "soft": 1.0}]), endpoint_config=dict)
