"""Every role of infra/topology.py is complete: an image, a scrape job (or why not), an output.

A role added to the table without one of these fails here, before any stack is provisioned.
"""

from __future__ import annotations

import pytest

from infra.components._images import REPO_ROOT
from infra.settings import parse_settings
from infra.topology import ROLES, Count
from tests.unit.test_components import uploads

ALL_ON = {"loadgenEnabled": "true", "grafanaEnabled": "true"}


@pytest.mark.parametrize("name", sorted(ROLES))
def test_role_has_an_image(name):
    role = ROLES[name]
    assert role.registry_image or role.build_dir, f"{name}: neither an upstream image nor a build folder"
    if role.build_dir is not None:
        assert (REPO_ROOT / role.build_dir / "Dockerfile").is_file(), (
            f"{name}: no Dockerfile in {role.build_dir}"
        )


@pytest.mark.parametrize("name", sorted(ROLES))
def test_role_is_scraped_or_says_why_not(name):
    role = ROLES[name]
    assert bool(role.scrape_job) != bool(role.not_scraped_because), (
        f"{name}: give a scrape_job or a not_scraped_because reason (not both)"
    )


@pytest.mark.parametrize("name", sorted(name for name, role in ROLES.items() if role.scrape_job))
def test_scraped_role_is_a_prometheus_job(declare_stack, name):
    prometheus_yml = uploads(declare_stack("dev", **ALL_ON).containers["dev-prometheus"])[
        "/etc/prometheus/prometheus.yml"
    ]
    assert f"job_name: {ROLES[name].scrape_job}\n" in prometheus_yml


@pytest.mark.parametrize("name", sorted(ROLES))
def test_role_is_in_the_containers_output_with_its_label(declare_stack, name):
    declared = declare_stack("dev", **ALL_ON)
    listed = declared.outputs["containers"][name]
    names = listed if isinstance(listed, list) else [listed]
    assert isinstance(listed, list) == (ROLES[name].count is not Count.ONE), name
    assert names, f"{name}: no containers in the output"
    assert {declared.role(container) for container in names} == {name}
    assert set(names) == {n for n in declared.containers if declared.role(n) == name}


@pytest.mark.parametrize("name", sorted(ROLES))
def test_role_runs_as_a_non_root_user_and_has_its_limits(name):
    role = ROLES[name]
    uid, _, gid = role.user.partition(":")
    assert uid.isdigit(), f"{name}: user {role.user!r} must be a numeric uid"
    assert int(uid) != 0, f"{name}: user {role.user!r} is root"
    assert gid.isdigit(), f"{name}: user {role.user!r} must name its group (uid:gid)"
    assert role.limits in parse_settings("t", {}).limits(), f"{name}: no settings for limits {role.limits!r}"
