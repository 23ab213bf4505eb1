"""testinfra checks against any provisioned stack: `pytest tests/infra --stack NAME` (or PG_STACK).

Hosts and URLs come from the stack's outputs (kit.outputs), so the same suite checks a
real `pulumi up` environment and an offline-provisioned one.
"""

from __future__ import annotations

import pytest

from tests.infra.stack import StackUnderTest, chosen_stack


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--stack", default=None, help="stack whose outputs name the hosts to check (or $PG_STACK)"
    )


def _stack_or_none(config: pytest.Config) -> StackUnderTest | None:
    name = chosen_stack(config)
    return StackUnderTest.load(name) if name else None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Per-container parametrization: `container` is every container, `<role>_container` one role's."""
    wanted = [name for name in metafunc.fixturenames if name == "container" or name.endswith("_container")]
    if not wanted:
        return
    stack = _stack_or_none(metafunc.config)
    for fixture in wanted:
        if stack is None:
            metafunc.parametrize(
                fixture, [pytest.param(None, marks=pytest.mark.skip(reason="no stack chosen"))]
            )
            continue
        role = None if fixture == "container" else fixture.removesuffix("_container").replace("_", "-")
        names = sorted(n for n, r in stack.containers.items() if role is None or r == role)
        metafunc.parametrize(
            fixture,
            names
            or [pytest.param(None, marks=pytest.mark.skip(reason=f"the stack has no {role} container"))],
            ids=names or None,
        )


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest) -> StackUnderTest:
    found = _stack_or_none(request.config)
    if found is None:
        pytest.skip("tests/infra checks a provisioned stack: pass --stack NAME or set PG_STACK")
    return found
