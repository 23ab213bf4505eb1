"""Turning the inputs the mock monitor hands over into plain Python values, and back.

Inputs arrive as Pulumi sends them to a provider: camelCase keys, every number a float, secrets
wrapped in a signature dict at any depth. Handlers read them through `Inputs`, which records
which fields were read so that a field the provisioner does not implement is an error naming it.
"""

from __future__ import annotations

import re
from typing import Any

from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret, wrap_rpc_secret

__all__ = ["Inputs", "UnsupportedInputError", "go_duration_ns", "plain", "wrap_rpc_secret"]

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_NS_PER_UNIT = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 10**9,
    "m": 60 * 10**9,
    "h": 3600 * 10**9,
}


class UnsupportedInputError(ValueError):
    """The program uses a resource type or input field the offline provisioner does not implement."""


def plain(value: Any) -> Any:
    """`value` with every secret unwrapped and every integral float turned into an int."""
    if is_rpc_secret(value):
        return plain(unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def go_duration_ns(text: str, *, field: str) -> int:
    """'1m30s' (a Go duration, as the Docker provider takes them) in nanoseconds."""
    if text in ("0", ""):
        return 0
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{field}: '{text}' is not a duration like '30s', '1m30s' or '500ms'")
    return int(sum(float(number) * _NS_PER_UNIT[unit] for number, unit in parts))


class Inputs:
    """The plain inputs of one resource (or nested block); `done()` rejects fields nobody read."""

    def __init__(self, raw: dict[str, Any], where: str) -> None:
        self._values: dict[str, Any] = plain(raw)
        self._where = where
        self._read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self._read.add(key)
        value = self._values.get(key)
        return default if value is None else value

    def require(self, key: str) -> Any:
        value = self.get(key)
        if value is None:
            raise ValueError(f"{self._where}: input '{key}' is required")
        return value

    def ignore(self, *keys: str) -> None:
        """Fields that have no effect on a create-only engine (e.g. replacement triggers)."""
        self._read.update(keys)

    def block(self, key: str) -> Inputs | None:
        value = self.get(key)
        return Inputs(value, f"{self._where}.{key}") if value is not None else None

    def blocks(self, key: str) -> list[Inputs]:
        return [Inputs(item, f"{self._where}.{key}[{i}]") for i, item in enumerate(self.get(key, []))]

    def labels(self, key: str = "labels") -> dict[str, str]:
        """The provider's label list (`[{label, value}]`) as a dict."""
        result: dict[str, str] = {}
        for item in self.blocks(key):
            result[str(item.require("label"))] = str(item.require("value"))
            item.done()
        return result

    def done(self) -> None:
        unused = sorted(
            key
            for key, value in self._values.items()
            if key not in self._read and value not in (None, [], {}) and not key.startswith("__")
        )
        if unused:
            raise UnsupportedInputError(
                f"{self._where}: input field(s) {', '.join(unused)} not implemented by the offline "
                "provisioner (kit/engine/offline); implement them there or drop them from the program"
            )
