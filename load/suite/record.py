"""The run record the Locust process writes at the end (`record.json`) and the gate reads.

Kept apart from Locust so the gate, the reports and their tests work on plain data.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from load.suite.metrics import Sample


class RecordError(ValueError):
    pass


class RouteEntry(BaseModel):
    method: str
    name: str
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float


class ErrorEntry(BaseModel):
    method: str
    name: str
    error: str
    occurrences: int


class RunRecord(BaseModel):
    profile: str
    host: str
    expected_workers: int = 0  # 0: one local process, no workers
    workers_seen: int = 0
    samples: list[Sample] = Field(default_factory=list)
    # process name -> [(seconds since start, CPU percent of one core)]
    cpu: dict[str, list[tuple[float, float]]] = Field(default_factory=dict)
    routes: list[RouteEntry] = Field(default_factory=list)
    errors: list[ErrorEntry] = Field(default_factory=list)
    seed_error: str | None = None
    # Exceptions raised by the scenarios themselves (a bug in the load code, not in the target).
    task_exceptions: int = 0

    @classmethod
    def read(cls, path: Path) -> RunRecord:
        try:
            return cls.model_validate_json(path.read_bytes())
        except OSError as exc:
            raise RecordError(f"cannot read the run record {path}: {exc.strerror}") from None
        except ValidationError as exc:
            raise RecordError(
                f"{path} is not a run record written by load/suite/locustfile.py: {exc.errors()[0]['msg']}"
            ) from None

    def write(self, path: Path) -> None:
        path.write_text(self.model_dump_json())
