"""Value types of the settings: sizes, durations, ports, image references, roles, with clear errors."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from infra.topology import REGISTRY_ROLES

# The profile names of load/suite/profiles.py (a unit test keeps them in step; the program does not
# import the load suite, whose dependencies are the loadgen image's, not the program's).
LoadProfile = Literal["smoke", "baseline", "stress", "spike", "soak"]

_SIZE = re.compile(r"^([1-9][0-9]*)([kmg])$")
_UNIT_KIB = {"k": 1, "m": 1024, "g": 1024 * 1024}
_IMAGE_REF = re.compile(
    r"^(?:[a-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)


def _size(unit_kib: int, low: str, high: str) -> BeforeValidator:
    """Docker-style sizes ("512m", "1g") → integer units (MiB or KiB), range-checked in those sizes."""

    def kib(text: str) -> int:
        match = _SIZE.match(text.strip().lower())
        if not match:
            raise ValueError("must be a size like 64m or 1g (k, m, g = KiB, MiB, GiB)")
        return int(match.group(1)) * _UNIT_KIB[match.group(2)]

    def parse(value: object) -> int:
        if not isinstance(value, str):
            raise ValueError("must be a size string like 64m or 1g (k, m, g = KiB, MiB, GiB)")
        if not kib(low) <= kib(value) <= kib(high):
            raise ValueError(f"must be between {low} and {high}")
        return kib(value) // unit_kib

    return BeforeValidator(parse)


def _ipv4(value: str) -> str:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError("must be an IPv4 address like 127.0.0.1 or 0.0.0.0") from None
    return value


def _cidr_list(value: str) -> str:
    for item in value.split(","):
        try:
            ipaddress.ip_network(item.strip())
        except ValueError:
            raise ValueError(
                f"must be comma-separated CIDRs like 10.0.0.0/8,172.16.0.0/12 ({item!r} is not)"
            ) from None
    return value


def size_default(text: str) -> Any:
    """A size default written as in the stack files; `validate_default` parses it like config input."""
    return text


def _registry_role(value: str) -> str:
    if value not in REGISTRY_ROLES:
        raise ValueError(f"must be one of the roles with an upstream image: {', '.join(REGISTRY_ROLES)}")
    return value


def _image_ref(value: str) -> str:
    if not _IMAGE_REF.match(value):
        raise ValueError("must be an image reference like name:tag or registry/name:tag@sha256:<64 hex>")
    return value


def pinned(ref: str) -> bool:
    """An image is pinned by digest or by an explicit tag other than `latest`."""
    last = ref.rsplit("/", 1)[-1]
    return "@sha256:" in ref or (":" in last and not last.endswith(":latest"))


def _pinned_image_ref(value: str) -> str:
    _image_ref(value)
    if not pinned(value):
        raise ValueError("must be pinned: name:tag (not latest) or name@sha256:<digest>")
    return value


SizeMiB = Annotated[int, _size(1024, "4m", "256g")]  # container memory, as the Docker API takes it
SizeKiB = Annotated[int, _size(1, "1k", "16m")]  # request bodies: nginx and the API (≤ 16 MiB)
Duration = Annotated[str, Field(pattern=r"^[1-9][0-9]*(ms|s|m|h|d|w|y)$")]
Port = Annotated[int, Field(ge=1024, le=65535)]
ImageRef = Annotated[str, AfterValidator(_image_ref)]
PinnedImageRef = Annotated[str, AfterValidator(_pinned_image_ref)]
IPv4Address = Annotated[str, AfterValidator(_ipv4)]
CidrList = Annotated[str, AfterValidator(_cidr_list)]
# A key of `images`: a role whose upstream image may be replaced (infra/topology.py).
ToolRole = Annotated[str, AfterValidator(_registry_role)]
Identifier = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$")]
