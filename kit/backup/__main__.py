"""`python -m kit.backup dump|restore --stack NAME ...` — what scripts/backup and
scripts/restore call. Human lines go to stderr; the last stdout line is one JSON object."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from kit.backup.archive import dump
from kit.backup.restore import restore
from kit.backup.stack import BackupError, BadInputError, StackTarget


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kit.backup")
    sub = parser.add_subparsers(dest="command", required=True)
    backup = sub.add_parser("dump", help="pg_dump the stack's database to a verified file")
    backup.add_argument("--stack", default="dev")
    backup.add_argument("--output", type=Path, help="file to write (default backups/STACK/UTC.dump)")
    back = sub.add_parser("restore", help="replace the stack's database with a dump")
    back.add_argument("--stack", default="dev")
    back.add_argument("file", type=Path)
    back.add_argument("--yes", action="store_true", help="replace a database that holds data")
    return parser


def _size(count: int) -> str:
    return f"{count / 1024:.1f} KiB" if count < 1024**2 else f"{count / 1024**2:.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(stderr=True, soft_wrap=True, highlight=False)
    try:
        target = StackTarget.load(args.stack)
        if args.command == "dump":
            made = dump(target, args.output)
            console.print(
                f"[green]backup[/] {made.file}: {_size(made.bytes)}, {made.tables} tables, "
                f"{made.seconds:.2f} s (read back in full with pg_restore)"
            )
            figures: dict[str, object] = {
                "stack": args.stack,
                "file": str(made.file),
                "bytes": made.bytes,
                "seconds": round(made.seconds, 3),
                "tables": made.tables,
            }
        else:
            done = restore(target, args.file.resolve(), replace_data=args.yes)
            console.print(
                f"[green]restored[/] {done.file} into stack {args.stack}: {done.tables} tables, "
                f"schema revision {done.revision}, {done.cache_keys_dropped} cached products dropped, "
                f"API ready, {done.seconds:.2f} s"
            )
            figures = {
                "stack": args.stack,
                "file": str(done.file),
                "seconds": round(done.seconds, 3),
                "tables": done.tables,
                "cacheKeysDropped": done.cache_keys_dropped,
                "revision": done.revision,
            }
    except BackupError as error:
        console.print(f"[red]error:[/] {error}")
        return 2 if isinstance(error, BadInputError) else 1
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
