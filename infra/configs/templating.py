"""The Jinja2 environment every renderer shares: strict (a missing value is an error, not "")."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

CONFIGS = Path(__file__).resolve().parent


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(CONFIGS),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # noqa: S701 - renders nginx/redis configs, never HTML
    )


def render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)
