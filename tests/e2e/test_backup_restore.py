"""scripts/backup and scripts/restore against a throw-away stack: what was backed up comes back
through the API (no stale cache), and a bad file, a refusal or a failed dump changes nothing."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from app.core.migrations import head_revision

from kit.backup.archive import BACKUPS, dump
from kit.backup.stack import BackupError, StackTarget
from kit.local.servers import free_port
from kit.outputs import load_outputs
from tests.e2e.offline_helpers import run_script

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PORT_KEYS = ("lbHttpPort", "lbHttpsPort", "prometheusPort", "alertmanagerPort", "grafanaPort")


@dataclass(frozen=True)
class Stack:
    name: str
    outputs: dict[str, Any]
    api: httpx.Client


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    name = f"bkp-{secrets.token_hex(3)}"
    ports = [arg for key in PORT_KEYS for arg in ("--config", f"{key}={free_port()}")]
    try:
        up = run_script("up", "--stack", name, "--config-from", "ci", *ports)
        assert up.returncode == 0, f"scripts/up failed:\n{up.stderr[-4000:]}"
        outputs = load_outputs(name)
        headers = {"X-API-Key": outputs["apiKey"]}
        with httpx.Client(base_url=outputs["lbUrl"], headers=headers, timeout=10) as api:
            yield Stack(name, outputs, api)
    finally:
        run_script("down", "--stack", name, "--remove-stack", "--remove-images")
        shutil.rmtree(BACKUPS / name, ignore_errors=True)


def create_product(api: httpx.Client, sku: str, name: str) -> dict[str, Any]:
    body = {"sku": sku, "name": name, "category": "backup", "price_cents": 1250, "stock": 7}
    response = api.post("/api/v1/products", json=body)
    assert response.status_code == 201, response.text
    product: dict[str, Any] = response.json()
    return product


def product_status_and_name(api: httpx.Client, product_id: int) -> tuple[int, str | None]:
    response = api.get(f"/api/v1/products/{product_id}")
    return response.status_code, response.json().get("name") if response.status_code == 200 else None


def all_products(api: httpx.Client) -> list[dict[str, Any]]:
    response = api.get("/api/v1/products", params={"limit": 100})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def psql(stack: Stack, sql: str) -> str:
    postgres = stack.outputs["postgres"]
    # An independent look, not through scripts/restore; the socket asks for the password too.
    login = ["-U", postgres["user"], "-d", postgres["database"]]
    return subprocess.run(
        ["docker", "exec", "-e", "PGPASSWORD", postgres["host"], "psql", *login, "-At", "-c", sql],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PGPASSWORD": str(stack.outputs["postgresPassword"])},
    ).stdout.strip()


@pytest.fixture(scope="module")
def backup(stack: Stack) -> tuple[Path, list[dict[str, Any]]]:
    """Two products, each read once (so both are cached), then backed up with the defaults."""
    tag = secrets.token_hex(3)
    products = [create_product(stack.api, f"bkp-{tag}-{i}", f"Original {i}") for i in range(2)]
    for product in products:
        assert product_status_and_name(stack.api, product["id"]) == (200, product["name"])
    result = run_script("backup", "--stack", stack.name)
    assert result.returncode == 0, result.stderr
    assert stack.outputs["postgresPassword"] not in result.stdout + result.stderr
    figures = json.loads(result.stdout.splitlines()[-1])
    path = Path(figures["file"])
    assert path.parent == BACKUPS / stack.name
    assert figures["bytes"] == path.stat().st_size > 0
    assert figures["tables"] >= 3  # products, orders, order_items (+ alembic_version)
    return path, products


def test_backup_is_private_complete_and_prints_no_secret(
    stack: Stack, backup: tuple[Path, list[dict[str, Any]]]
) -> None:
    path, _ = backup
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left
    result = run_script("backup", "--stack", stack.name, "--output", str(path))
    assert result.returncode == 2
    assert "already exists" in result.stderr
    assert stack.outputs["postgresPassword"] not in result.stdout + result.stderr


def test_restore_brings_back_the_backed_up_products(
    stack: Stack, backup: tuple[Path, list[dict[str, Any]]]
) -> None:
    path, (kept, deleted) = backup
    assert stack.api.patch(f"/api/v1/products/{kept['id']}", json={"name": "Changed"}).status_code == 200
    assert stack.api.delete(f"/api/v1/products/{deleted['id']}").status_code == 204
    added = create_product(stack.api, f"bkp-new-{secrets.token_hex(3)}", "Added after the backup")
    assert product_status_and_name(stack.api, kept["id"]) == (200, "Changed")  # cached again

    refused = run_script("restore", "--stack", stack.name, str(path))
    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    assert product_status_and_name(stack.api, kept["id"]) == (200, "Changed")

    result = run_script("restore", "--stack", stack.name, str(path), "--yes")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.splitlines()[-1])
    assert figures["cacheKeysDropped"] >= 1
    assert figures["revision"] == head_revision()
    assert psql(stack, "SELECT version_num FROM alembic_version") == head_revision()
    for _ in range(4):  # nginx spreads these over both replicas: none serves a stale document
        assert product_status_and_name(stack.api, kept["id"]) == (200, kept["name"])
        assert product_status_and_name(stack.api, deleted["id"]) == (200, deleted["name"])
        assert product_status_and_name(stack.api, added["id"]) == (404, None)
    # Writes work on the restored tables: the id sequence came back with them.
    assert create_product(stack.api, f"bkp-after-{secrets.token_hex(3)}", "After")["id"] > deleted["id"]


def test_a_restore_that_fails_midway_rolls_back(
    stack: Stack, backup: tuple[Path, list[dict[str, Any]]]
) -> None:
    """A view the dump does not know about blocks --clean's DROP TABLE after other statements ran."""
    path, (kept, _) = backup
    assert stack.api.patch(f"/api/v1/products/{kept['id']}", json={"name": "Kept"}).status_code == 200
    before = psql(stack, "SELECT count(*) FROM products")
    psql(stack, "CREATE VIEW bkp_guard AS SELECT id FROM products")
    try:
        result = run_script("restore", "--stack", stack.name, str(path), "--yes")
    finally:
        psql(stack, "DROP VIEW bkp_guard")
    assert result.returncode == 1
    assert "rolled back" in result.stderr
    assert "bkp_guard depends on table" in result.stderr
    assert psql(stack, "SELECT count(*) FROM products") == before
    assert product_status_and_name(stack.api, kept["id"]) == (200, "Kept")


@pytest.mark.parametrize("damage", ["truncated", "not-a-dump"])
def test_a_damaged_file_is_refused_and_changes_nothing(
    stack: Stack, backup: tuple[Path, list[dict[str, Any]]], tmp_path: Path, damage: str
) -> None:
    original = backup[0].read_bytes()
    bad = tmp_path / f"{damage}.dump"
    bad.write_bytes(original[:-40] if damage == "truncated" else b"SELECT 'not an archive';\n")
    before = all_products(stack.api)
    result = run_script("restore", "--stack", stack.name, str(bad), "--yes")
    assert result.returncode == 2
    assert "not a complete pg_dump custom-format archive" in result.stderr
    assert all_products(stack.api) == before


def test_a_failed_dump_leaves_no_file(stack: Stack, tmp_path: Path) -> None:
    target = replace(StackTarget.load(stack.name), database="no_such_database")
    with pytest.raises(BackupError, match="pg_dump failed"):
        dump(target, tmp_path / "never.dump")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("script", ["backup", "restore"])
def test_scripts_explain_themselves(script: str) -> None:
    result = run_script(script, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: scripts/{script} [--stack NAME]")


def test_scripts_name_a_missing_stack_or_file(tmp_path: Path) -> None:
    backup = run_script("backup", "--stack", "bkp-no-such-stack")
    assert backup.returncode == 2
    assert "./scripts/up --stack bkp-no-such-stack" in backup.stderr
    restore = run_script("restore", "--stack", "bkp-no-such-stack", str(tmp_path / "missing.dump"))
    assert restore.returncode == 2
    assert "no such backup file" in restore.stderr
