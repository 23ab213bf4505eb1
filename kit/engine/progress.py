"""What `scripts/up` shows of a real `pulumi up`: each step that changes something, as it ends.

`pulumi up --json | python -m kit.engine progress --stack NAME --summary FILE` reads Pulumi's
engine events (one JSON object per line) and prints, for a rolling update, each replacement step:
the replica, its old and new image, how long the old one took to drain and stop, and how long the
new one took to become healthy (times taken here, as the events arrive: theirs are whole seconds).
Errors are printed with the resource they name; a container that failed (e.g. never became healthy)
is shown with its last log lines and its last health probe. FILE gets a JSON list: each replaced
container, with its images and the seconds to stop the old one and to get the new one healthy.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

import docker
from docker.errors import DockerException

CONTAINER = "docker:index/container:Container"
LOG_LINES = 20
# Steps that change nothing, or only record a replacement already shown by its create/delete halves.
QUIET_OPS = frozenset({"same", "read", "refresh", "replace"})
OP_WORDS = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "create-replacement": "replacement created",
    "delete-replaced": "replaced one deleted",
}
# A container's replacement: the old one stops gracefully (an API replica drains first), then the
# new one is created and waited for until its healthcheck passes.
CONTAINER_WORDS = {
    "create-replacement": "new container healthy",
    "delete-replaced": "old container drained and removed",
    "create": "created and healthy",
    "delete": "stopped and removed",
}


@dataclass
class Step:
    name: str
    type: str
    op: str
    seconds: float
    old_image: str = ""
    new_image: str = ""


@dataclass
class Progress:
    steps: list[Step] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # resource names the engine reported errors for
    errors: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    _started: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)

    def feed(self, event: dict[str, Any], now: float) -> str | None:
        """Takes one engine event; returns a line to print, if it is worth one."""
        if "resourcePreEvent" in event:
            meta = event["resourcePreEvent"]["metadata"]
            self._started[(meta["urn"], meta["op"])] = (now, int(event.get("timestamp", 0)))
        elif "resOutputsEvent" in event:
            meta = event["resOutputsEvent"]["metadata"]
            if meta["op"] in QUIET_OPS or not meta["type"].startswith(("docker:", "random:", "tls:")):
                return None
            step = Step(
                name=_name(meta["urn"]),
                type=meta["type"],
                op=meta["op"],
                seconds=self._seconds((meta["urn"], meta["op"]), now, int(event.get("timestamp", 0))),
                old_image=_image(meta.get("old")),
                new_image=_image(meta.get("new")),
            )
            self.steps.append(step)
            return describe(step)
        elif "resOpFailedEvent" in event:
            self.failed.append(_name(event["resOpFailedEvent"]["metadata"]["urn"]))
        elif "diagnosticEvent" in event:
            diagnostic = event["diagnosticEvent"]
            if diagnostic.get("severity") not in ("error", "warning", "info", "info#err"):
                return None
            message = str(diagnostic.get("message", "")).strip()
            name = _name(diagnostic.get("urn") or "")
            if diagnostic.get("severity") == "error":
                self.errors.append(f"{name}: {message}" if name else message)
                if name:
                    self.failed.append(name)
            return f"  {diagnostic['severity']}: {name + ': ' if name else ''}{message}" if message else None
        elif "summaryEvent" in event:
            self.summary = summary = event["summaryEvent"]
            changes = ", ".join(f"{n} {kind}" for kind, n in summary.get("resourceChanges", {}).items())
            return f"  {summary.get('result', '?')} in {summary.get('durationSeconds', '?')} s: {changes}"
        return None

    def _seconds(self, key: tuple[str, str], now: float, timestamp: int) -> float:
        """Measured here as the events arrive; from their whole-second stamps when read from a file."""
        started, stamp = self._started.get(key, (now, timestamp))
        measured = now - started
        return round(measured if measured >= 0.05 or timestamp <= stamp else float(timestamp - stamp), 1)


def describe(step: Step) -> str:
    words = CONTAINER_WORDS if step.type == CONTAINER else OP_WORDS
    what = words.get(step.op, OP_WORDS.get(step.op, step.op))
    line = f"  {step.name}: {what} in {step.seconds:.1f} s"
    if step.op == "create-replacement" and step.type == CONTAINER and step.old_image != step.new_image:
        line += f" (image {_short(step.old_image)} -> {_short(step.new_image)})"
    return line


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if urn else ""


def _image(state: dict[str, Any] | None) -> str:
    return str(((state or {}).get("inputs") or {}).get("image") or "")


def _short(image: str) -> str:
    return image.removeprefix("sha256:")[:12] or "?"


def events(lines: Iterable[str], out: TextIO) -> Iterator[tuple[dict[str, Any], float]]:
    """Engine events; any other line (the CLI's own errors) goes through to `out` as it is."""
    for line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            event = None
        if isinstance(event, dict) and "sequence" in event:
            yield event, time.monotonic()
        elif line.strip():
            print(line.rstrip(), file=out, flush=True)


def replacements(steps: Iterable[Step]) -> list[dict[str, Any]]:
    """Each replaced container: its images, seconds to stop the old one and to get the new healthy."""
    found: dict[str, dict[str, Any]] = {}
    for step in steps:
        if step.type != CONTAINER or step.op not in ("delete-replaced", "create-replacement"):
            continue
        entry = found.setdefault(step.name, {"container": step.name})
        if step.op == "delete-replaced":
            entry["stoppedSeconds"] = step.seconds
        else:
            entry.update(oldImage=step.old_image, newImage=step.new_image, healthySeconds=step.seconds)
    return list(found.values())


def failed_container_report(names: Iterable[str]) -> list[str]:
    """Each failed container's last log lines and last health probe (it is left as it was)."""
    lines: list[str] = []
    try:
        client = docker.from_env()
    except DockerException:
        return lines
    for name in dict.fromkeys(names):
        try:
            container = client.containers.get(name)
        except DockerException:
            continue
        state = container.attrs.get("State", {})
        health = (state.get("Health") or {}).get("Log") or []
        lines.append(
            f"{name}: {state.get('Status')}, health {(state.get('Health') or {}).get('Status', 'none')}"
        )
        if health:
            probe = health[-1]
            lines.append(
                f"  last health probe (exit {probe.get('ExitCode')}): {probe.get('Output', '').strip()}"
            )
        lines.append(f"  last {LOG_LINES} log lines:")
        log = container.logs(tail=LOG_LINES).decode(errors="replace").rstrip()
        lines.extend(f"    {line}" for line in log.splitlines())
    return lines


def run(source: TextIO, out: TextIO, summary_path: str | None) -> Progress:
    progress = Progress()
    for event, now in events(source, out):
        line = progress.feed(event, now)
        if line:
            print(line, file=out, flush=True)
    if progress.failed:
        for line in failed_container_report(progress.failed):
            print(line, file=out, flush=True)
    if summary_path:
        with open(summary_path, "w") as handle:
            json.dump(replacements(progress.steps), handle)
    return progress


def main(stack: str, summary_path: str | None) -> int:
    print(f"pulumi up --stack {stack}: each change as it completes", file=sys.stderr, flush=True)
    progress = run(sys.stdin, sys.stderr, summary_path)
    return 1 if progress.failed or progress.summary.get("result") not in (None, "succeeded") else 0
