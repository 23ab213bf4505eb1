"""`kit.engine progress`: Pulumi's engine events (`pulumi up --json`) as one line per change."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from kit.engine.progress import Progress, replacements, run

URN = "urn:pulumi:s::proving-ground::proving-ground:index:Api$docker:index/container:Container::s-api-0"
CONTAINER = "docker:index/container:Container"


def step(kind: str, op: str, stamp: int, old: str = "", new: str = "") -> dict[str, Any]:
    meta = {"op": op, "urn": URN, "type": CONTAINER}
    if old:
        meta["old"] = {"inputs": {"image": old}}
    if new:
        meta["new"] = {"inputs": {"image": new}}
    return {"sequence": stamp, "timestamp": stamp, kind: {"metadata": meta}}


ROLLOUT = [
    step("resourcePreEvent", "delete-replaced", 100, old="sha256:" + "a" * 64),
    step("resOutputsEvent", "delete-replaced", 105, old="sha256:" + "a" * 64),
    step("resourcePreEvent", "create-replacement", 105, "sha256:" + "a" * 64, "sha256:" + "b" * 64),
    step("resOutputsEvent", "create-replacement", 112, "sha256:" + "a" * 64, "sha256:" + "b" * 64),
    {"sequence": 9, "timestamp": 112, "summaryEvent": {"result": "succeeded", "durationSeconds": 12,
                                                        "resourceChanges": {"replace": 1, "same": 9}}},
]  # fmt: skip


def lines(events: list[dict[str, Any]], summary: str | None = None) -> tuple[str, Progress]:
    out = io.StringIO()
    source = io.StringIO("".join(json.dumps(event) + "\n" for event in events) + "not json: passed through\n")
    progress = run(source, out, summary)
    return out.getvalue(), progress


def test_a_replacement_shows_the_drain_then_the_new_container_with_its_images(tmp_path: Path) -> None:
    text, progress = lines(ROLLOUT, str(tmp_path / "steps.json"))
    assert "s-api-0: old container drained and removed in 5.0 s" in text
    assert "s-api-0: new container healthy in 7.0 s (image aaaaaaaaaaaa -> bbbbbbbbbbbb)" in text
    assert "succeeded in 12 s: 1 replace, 9 same" in text
    assert "not json: passed through" in text
    assert not progress.failed
    assert json.loads((tmp_path / "steps.json").read_text()) == replacements(progress.steps)
    assert replacements(progress.steps) == [
        {"container": "s-api-0", "stoppedSeconds": 5.0, "oldImage": "sha256:" + "a" * 64,
         "newImage": "sha256:" + "b" * 64, "healthySeconds": 7.0}
    ]  # fmt: skip


def test_an_error_names_its_resource_and_counts_as_failed() -> None:
    error = {"sequence": 3, "timestamp": 1, "diagnosticEvent": {
        "urn": URN, "severity": "error", "message": "container failed to be in healthy state\n"}}  # fmt: skip
    debug = {"sequence": 4, "timestamp": 1, "diagnosticEvent": {"severity": "debug", "message": "noise"}}
    text, progress = lines([error, debug])
    assert "error: s-api-0: container failed to be in healthy state" in text
    assert "noise" not in text
    assert progress.failed == ["s-api-0"]
