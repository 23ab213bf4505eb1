"""Import boundaries that the images and the program rely on, checked without building anything.

- `load/suite/` is all the loadgen image copies: it imports only the standard library, itself and
  the image's requirements.
- `infra/` (the Pulumi program) takes only the contract from the toolkit, never the engines or the
  local servers, so it runs the same under any engine.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUITE_THIRD_PARTY = {"locust", "gevent", "pydantic", "yaml", "psutil"}  # load/requirements.txt


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "load" / "suite").glob("*.py")), ids=lambda p: p.name)
def test_load_suite_imports_only_what_its_image_has(path):
    outside = {
        name
        for name in imports(path)
        if name.split(".")[0] not in sys.stdlib_module_names | SUITE_THIRD_PARTY | {"__future__"}
        and not (name == "load.suite" or name.startswith("load.suite."))
    }
    assert not outside, f"{path.name} imports {sorted(outside)}, which the loadgen image does not copy"


@pytest.mark.parametrize(
    "path", sorted((ROOT / "infra").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_program_takes_only_the_contract_from_the_kit(path):
    from_kit = {name for name in imports(path) if name.split(".")[0] == "kit"}
    assert from_kit <= {"kit.contract"}, f"{path} imports {sorted(from_kit)}"
