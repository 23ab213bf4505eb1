"""`python -m kit.engine.offline up|down --stack NAME ...` — what scripts/up and scripts/down call
when no Pulumi CLI is on PATH."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from kit.engine.offline.runner import destroy, provision
from kit.engine.offline.stackconfig import effective_config, project_name
from kit.outputs import ROOT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kit.engine.offline",
        description="Provision a stack on the local Docker engine without Pulumi's engine.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="create every resource the program declares")
    up.add_argument("--stack", default="dev")
    up.add_argument("--config-from", help="take the config of this stack's Pulumi.<stack>.yaml")
    up.add_argument("--config", action="append", default=[], metavar="KEY=VALUE", help="override one value")
    up.add_argument("--program", type=Path, default=ROOT / "infra", help="the program directory")
    down = sub.add_parser("down", help="remove everything labelled with the stack")
    down.add_argument("--stack", default="dev")
    down.add_argument("--remove-images", action="store_true", help="also untag the images built for it")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(stderr=True, soft_wrap=True)
    if args.command == "down":
        seconds = destroy(args.stack, console, images=args.remove_images)
        print(json.dumps({"engine": "offline", "stack": args.stack, "secondsToRemove": round(seconds, 1)}))
        return 0
    try:
        config = effective_config(
            args.stack,
            config_from=args.config_from,
            overrides=args.config,
            root=args.program.resolve().parent,
        )
    except ValueError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    try:
        result = provision(
            args.stack,
            config,
            program_dir=args.program.resolve(),
            project=project_name(args.program.resolve().parent),
            console=console,
        )
    except Exception as exc:
        console.print(f"[red]error:[/] {exc}")
        return 1
    print(json.dumps(result.summary()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
