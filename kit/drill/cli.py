"""`python -m kit.drill --stack NAME [DRILL…]` (scripts/drill): run drills, report, restore always.

Exit status: 0 every check passed, 1 a check failed, 2 the run was not possible (no such stack,
bad arguments), 130 interrupted (after restoring what the drill broke).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from rich.console import Console

from kit.backup.stack import BadInputError
from kit.drill.alerts import Receiver
from kit.drill.base import Options
from kit.drill.dashboards import evaluate, without_data
from kit.drill.faults import DRILLS
from kit.drill.report import print_report, summary, timeline
from kit.drill.result import DrillResult
from kit.drill.run import Interrupted, on_signal, run_drill
from kit.drill.stack import DrillError, DrillStack
from kit.outputs import ROOT, StackNotFoundError


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/drill", description=__doc__)
    parser.add_argument("--stack", default="dev")
    parser.add_argument("drills", nargs="*", metavar="DRILL", help=f"default: all of {', '.join(DRILLS)}")
    parser.add_argument("--rate", type=float, default=Options.rate, help="requests/s (default %(default)s)")
    parser.add_argument("--hold", type=float, default=Options.hold, help="seconds a lasting fault is held")
    parser.add_argument("--before", type=float, default=Options.before, help="seconds of load before it")
    parser.add_argument("--after", type=float, default=Options.after, help="seconds of load after recovery")
    parser.add_argument("--replica", type=int, default=Options.replica, help="replica index (-1: last)")
    parser.add_argument("--dashboards", action="store_true", help="then check every dashboard query has data")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "drills", help="report folder")
    args = parser.parse_args(argv)
    unknown = [name for name in args.drills if name not in DRILLS]
    if unknown:
        parser.error(f"unknown drill(s) {', '.join(unknown)}; choose from {', '.join(DRILLS)}")
    if not 1 <= args.rate <= 500 or not 1 <= args.hold <= 600:
        parser.error("--rate must be 1-500 requests/s and --hold 1-600 s (every load here is bounded)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    console = Console() if sys.stdout.isatty() else Console(width=180)  # a log keeps the table whole
    progress = Console(stderr=True)
    options = Options(
        rate=args.rate, before=args.before, hold=args.hold, after=args.after, replica=args.replica
    )
    try:
        stack = DrillStack.load(args.stack)
    except (StackNotFoundError, BadInputError, DrillError) as error:
        progress.print(f"[red]error:[/] {error}")
        return 2
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    directory = args.out / f"{args.stack}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    directory.mkdir(parents=True, exist_ok=True)
    receiver = Receiver(stack)
    checked = receiver.configured()
    if not checked:
        progress.print("alert delivery not checked: the stack's alertWebhookUrl is not its drill receiver")
    results: list[DrillResult] = []
    extra: dict[str, object] = {"alertDeliveryChecked": checked}
    interrupted = False
    try:
        if checked:
            receiver.start()
        for name in args.drills or list(DRILLS):
            drill = DRILLS[name]()
            progress.print(f"drill {name}: {drill.title} …")
            result = run_drill(stack, drill, options, receiver if checked else None)
            results.append(result)
            timeline(result, f"{args.stack}: {drill.title}", directory / f"{name}.png")
            progress.print(f"drill {name}: {'passed' if result.passed else 'FAILED'}")
        if args.dashboards:
            empty = without_data(evaluate(stack.prometheus_url))
            extra["dashboardsWithoutData"] = [f"{q.dashboard}/{q.panel}: {q.expr}" for q in empty]
    except Interrupted:
        interrupted = True
        progress.print("[yellow]interrupted[/]: what the drill broke was restored")
    finally:
        if checked:
            receiver.stop()
    print_report(console, results)
    print(summary(args.stack, directory, results, extra))
    if interrupted:
        return 130
    return 0 if results and all(r.passed for r in results) and not extra.get("dashboardsWithoutData") else 1


if __name__ == "__main__":
    sys.exit(main())
