"""`python -m kit.engine nextsteps|leftovers|untag-images|progress --stack NAME`: what scripts/up
and scripts/down run around either engine.

  nextsteps     the stack's URLs and the commands to run next (stderr)
  leftovers     what the Docker engine still holds for the stack; exit 1 when anything
  untag-images  untag the images built for the stack (their layers stay as the build cache)
  untracked     remove the stack's containers its Pulumi state (--state FILE, `pulumi stack export`)
                does not hold: what a failed create left (they would collide on their names)
  progress      `pulumi up --json` on stdin: each change as it completes, failed containers' logs;
                exit 1 when anything failed (--summary FILE: the replaced containers, JSON)
"""

from __future__ import annotations

import argparse
import json
import sys

import docker
from rich.console import Console

from kit.engine import progress
from kit.engine.nextsteps import next_steps
from kit.engine.teardown import leftovers, remove_images, remove_untracked_containers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kit.engine", description=__doc__.split("\n")[0])
    parser.add_argument(
        "command", choices=("nextsteps", "leftovers", "untag-images", "untracked", "progress")
    )
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--summary", help="progress: write the replaced containers there (JSON)")
    parser.add_argument("--state", help="untracked: the stack's `pulumi stack export` file")
    args = parser.parse_args(argv)
    if args.command == "progress":
        return progress.main(args.stack, args.summary)
    if args.command == "nextsteps":
        Console(stderr=True, soft_wrap=True, highlight=False).print(next_steps(args.stack))
        return 0
    if args.command == "untracked":
        if not args.state:
            parser.error("untracked needs --state FILE (pulumi stack export --file FILE)")
        with open(args.state) as handle:
            removed = remove_untracked_containers(docker.from_env(), args.stack, json.load(handle))
        if removed:
            print(f"removed containers the engine does not track (a failed create): {', '.join(removed)}")
        return 0
    if args.command == "untag-images":
        print(" ".join(remove_images(docker.from_env(), args.stack)))
        return 0
    found = leftovers(docker.from_env(), args.stack)
    print(found.describe())
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
