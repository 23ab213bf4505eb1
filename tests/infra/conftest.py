"""testinfra checks against any provisioned stack: `pytest tests/infra --stack NAME` (or PG_STACK;
default `dev`, the scripts' default stack).

Hosts and URLs come from the stack's outputs (kit.outputs), so the same suite checks a
real `pulumi up` environment and an offline-provisioned one. A stack without outputs is a usage
error, never a run that skips everything and passes.
"""

from __future__ import annotations

import pytest

from kit.outputs import StackNotFoundError
from tests.infra.stack import StackUnderTest, chosen_stack


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--stack", default=None, help="stack whose outputs name the hosts to check ($PG_STACK, else dev)"
    )


def _stack(config: pytest.Config) -> StackUnderTest:
    """The stack under test, loaded once per session."""
    cached: StackUnderTest | None = getattr(config, "_pg_stack", None)
    if cached is None:
        name = chosen_stack(config)
        try:
            cached = StackUnderTest.load(name)
        except StackNotFoundError as error:
            raise pytest.UsageError(
                f"tests/infra checks a provisioned stack: {error} (or pick another: --stack NAME or PG_STACK)"
            ) from None
        config._pg_stack = cached  # type: ignore[attr-defined]
    return cached


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Per-container parametrization: `container` is every container, `<role>_container` one role's."""
    wanted = [name for name in metafunc.fixturenames if name == "container" or name.endswith("_container")]
    if not wanted:
        return
    stack = _stack(metafunc.config)
    for fixture in wanted:
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
    return _stack(request.config)
