"""Dumps written atomically and proven readable: a backup file either is a complete archive that
pg_restore reads to the end, or does not exist."""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kit.backup.stack import BackupError, BadInputError, StackTarget, ensure_running, stderr_text
from kit.outputs import ROOT

BACKUPS = ROOT / "backups"
# A table's entry in `pg_restore --list`: "215; 1259 16386 TABLE public products app" (its rows are
# a separate "TABLE DATA" entry).
TABLE_ENTRY = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )(?P<schema>\S+) (?P<name>\S+) ", re.MULTILINE)


@dataclass(frozen=True)
class Backup:
    file: Path
    bytes: int
    seconds: float
    tables: int


def default_path(stack: str) -> Path:
    return BACKUPS / stack / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.dump"


def verify(target: StackTarget, path: Path) -> list[str]:
    """Reads the whole archive and returns its tables; BadInputError if it is not a complete one.

    `pg_restore --list` reads only the table of contents, which a truncated file still has;
    restoring to /dev/null reads and decompresses every entry, so a cut or damaged file fails too.
    """
    listing = _pg_restore(target, path, "--list")
    _pg_restore(target, path, "--file=/dev/null")
    return [f"{m['schema']}.{m['name']}" for m in TABLE_ENTRY.finditer(listing)]


def _pg_restore(target: StackTarget, path: Path, option: str) -> str:
    with path.open("rb") as archive:
        result = target.postgres_exec(["pg_restore", option], stdin=archive)
    if result.returncode != 0:
        raise BadInputError(f"{path} is not a complete pg_dump custom-format archive ({stderr_text(result)})")
    return result.stdout.decode()


def dump(target: StackTarget, output: Path | None = None) -> Backup:
    path = (output or default_path(target.stack)).resolve()
    if path.exists():
        raise BadInputError(f"{path} already exists: a backup never overwrites; choose another --output")
    ensure_running(target.postgres_container, "postgres")
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    # mkstemp makes the file 0600: a dump holds every row of the database.
    descriptor, partial_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    partial = Path(partial_name)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            result = target.postgres_exec(
                ["pg_dump", "--format=custom", *target.pg_args(), f"--dbname={target.database}"],
                stdout=stream,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_dump failed: {stderr_text(result)}")
            stream.flush()
            os.fsync(stream.fileno())
        tables = verify(target, partial)
        partial.replace(path)
        _fsync_directory(path.parent)
    finally:
        partial.unlink(missing_ok=True)
    return Backup(path, path.stat().st_size, time.monotonic() - started, len(tables))


def _fsync_directory(directory: Path) -> None:
    """Makes the rename itself durable, not only the file's contents."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
