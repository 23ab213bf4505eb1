"""The hardening table (infra/hardening.py) is well-formed and docs/design.md shows it as it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra import hardening
from infra.topology import ROLES

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `(?P<role>[a-z-]+)` \| (?P<setting>[^|]+) \| `(?P<value>[^`]+)` \| (?P<reason>.+) \|$")


def documented_rows() -> list[tuple[str, str, str, str]]:
    text = (ROOT / "docs" / "design.md").read_text()
    section = text.split("## Container hardening", 1)[1].split("\n## ", 1)[0]
    return [
        (m["role"], m["setting"].strip(), m["value"], m["reason"].strip())
        for m in map(ROW.match, section.splitlines())
        if m
    ]


def test_design_doc_lists_every_deviation_and_only_those():
    table = [(row.role, row.setting, row.value, row.reason) for row in hardening.DEVIATIONS]
    assert documented_rows() == table, "docs/design.md's hardening table differs from infra/hardening.py"


@pytest.mark.parametrize("row", hardening.DEVIATIONS, ids=lambda row: f"{row.role}-{row.value}")
def test_every_row_is_a_known_role_with_a_reason(row):
    assert row.role in ROLES
    assert len(row.reason) > 20, f"{row.role} {row.value}: say why"
    if isinstance(row, hardening.Writable):
        assert row.path.startswith("/"), row.path
        assert row.path != "/", row.path
        assert re.fullmatch(r"[1-9][0-9]*[km]", row.size), row.size
        uid, _, gid = ROLES[row.role].user.partition(":")
        assert row.options.endswith(f",uid={uid},gid={gid}"), "a tmpfs belongs to the role's user"


def test_no_role_keeps_a_capability_or_is_exempt():
    """Adding one is a decision: this test names it, the table gives its reason."""
    assert not [r for r in hardening.DEVIATIONS if isinstance(r, hardening.KeepCapability | hardening.Exempt)]


def test_writable_paths_are_unique_per_role():
    for role in ROLES:
        paths = [r.path for r in hardening.deviations(role) if isinstance(r, hardening.Writable)]
        assert len(paths) == len(set(paths)), role
        assert ROLES[role].data_dir not in paths, f"{role}: its data volume is already writable"


def test_a_deviation_for_an_unknown_role_or_without_reason_is_refused():
    with pytest.raises(ValueError, match="unknown role 'nope'"):
        hardening.Writable(role="nope", path="/x", size="1m", reason="a reason long enough to pass")
    with pytest.raises(ValueError, match="needs its reason"):
        hardening.Ulimit(role="lb", name="nofile", limit=1, reason=" ")
