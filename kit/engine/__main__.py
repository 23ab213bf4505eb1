"""`python -m kit.engine nextsteps|leftovers|untag-images --stack NAME`: what scripts/up and
scripts/down run after either engine.

  nextsteps     the stack's URLs and the commands to run next (stderr)
  leftovers     what the Docker engine still holds for the stack; exit 1 when anything
  untag-images  untag the images built for the stack (their layers stay as the build cache)
"""

from __future__ import annotations

import argparse
import sys

import docker
from rich.console import Console

from kit.engine.nextsteps import next_steps
from kit.engine.teardown import leftovers, remove_images


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kit.engine", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("nextsteps", "leftovers", "untag-images"))
    parser.add_argument("--stack", default="dev")
    args = parser.parse_args(argv)
    if args.command == "nextsteps":
        Console(stderr=True, soft_wrap=True, highlight=False).print(next_steps(args.stack))
        return 0
    if args.command == "untag-images":
        print(" ".join(remove_images(docker.from_env(), args.stack)))
        return 0
    found = leftovers(docker.from_env(), args.stack)
    print(found.describe())
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
