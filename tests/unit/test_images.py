"""Image tags follow build-context content; every build context the program uses exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.components._images import REPO_ROOT, context_hash
from infra.settings.values import pinned
from infra.topology import ROLES


@pytest.fixture
def context(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY app /app\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("print('v1')\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_main.py").write_text("def test(): pass\n")
    (tmp_path / ".dockerignore").write_text("# only what the image copies\n*\n!app/\n")
    return tmp_path


def test_unchanged_context_keeps_its_tag(context):
    assert context_hash(context, {"BASE_IMAGE": "debian"}) == context_hash(context, {"BASE_IMAGE": "debian"})


def test_changed_file_gives_a_new_tag(context):
    before = context_hash(context, {})
    (context / "app" / "main.py").write_text("print('v2')\n")
    assert context_hash(context, {}) != before


def test_changed_dockerfile_or_build_arg_gives_a_new_tag(context):
    before = context_hash(context, {"BASE_IMAGE": "debian"})
    assert context_hash(context, {"BASE_IMAGE": "ubuntu"}) != before
    (context / "Dockerfile").write_text("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n")
    assert context_hash(context, {"BASE_IMAGE": "debian"}) != before


def test_files_outside_the_docker_context_do_not_change_the_tag(context):
    before = context_hash(context, {})
    (context / "tests" / "test_main.py").write_text("def test(): assert True\n")
    (context / "app" / "__pycache__").mkdir()
    (context / "app" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\0")
    assert context_hash(context, {}) == before


def test_missing_dockerfile_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no Dockerfile in build context"):
        context_hash(tmp_path, {})


@pytest.mark.parametrize("role", sorted(name for name, role in ROLES.items() if role.build_dir))
def test_every_build_context_takes_a_base_image(role):
    dockerfile = REPO_ROOT / str(ROLES[role].build_dir) / "Dockerfile"
    assert dockerfile.is_file(), f"{dockerfile} is missing: imageSource build cannot build {role}"
    assert "ARG BASE_IMAGE" in dockerfile.read_text()


def test_registry_images_are_pinned():
    assert all(pinned(role.registry_image) for role in ROLES.values() if role.registry_image)
