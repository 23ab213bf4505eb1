"""The versioned SLO file (`load/suite/slo.yaml`), validated: bad input names the key and what is allowed."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_SLO_FILE = Path(__file__).with_name("slo.yaml")
SUPPORTED_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Strict):
    p50_ms: float = Field(gt=0)
    p95_ms: float = Field(gt=0)
    p99_ms: float = Field(gt=0)
    failure_ratio: float = Field(ge=0, le=1)
    min_rps: float = Field(ge=0)
    # Growth of each API replica's memory over the run (docker stats; stack targets only).
    max_memory_growth_pct: float | None = Field(default=None, gt=0)


class GeneratorLimits(_Strict):
    max_cpu_percent: float = Field(default=90, gt=0, le=100)
    max_saturated_share: float = Field(default=0.1, ge=0, le=1)


class BaselineTolerance(_Strict):
    p95_tolerance_pct: float = Field(default=20, ge=0)
    rps_tolerance_pct: float = Field(default=10, ge=0, le=100)


class SloFile(_Strict):
    version: int
    generator: GeneratorLimits = GeneratorLimits()
    baseline: BaselineTolerance = BaselineTolerance()
    profiles: dict[str, Thresholds]

    def thresholds(self, profile: str) -> Thresholds:
        try:
            return self.profiles[profile]
        except KeyError:
            raise SloFileError(
                f"the SLO file has no thresholds for profile {profile!r}; it has: {', '.join(self.profiles)}"
            ) from None


class SloFileError(ValueError):
    pass


def load_slo(path: Path = DEFAULT_SLO_FILE) -> SloFile:
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise SloFileError(f"cannot read the SLO file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SloFileError(f"the SLO file {path} is not valid YAML: {exc}") from exc
    try:
        slo = SloFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(top level)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise SloFileError(f"the SLO file {path} is invalid: {problems}") from None
    if slo.version != SUPPORTED_VERSION:
        raise SloFileError(f"the SLO file {path} has version {slo.version}; supported: {SUPPORTED_VERSION}")
    return slo
