"""`scripts/load` / `python -m load`: run a profile against a stack and gate it on the SLO.

Exit codes: 0 the SLO was met, 1 it was breached (or the run regressed from its baseline),
2 the run is not valid (unreachable target, no requests, saturated generator, missing workers,
bad arguments). The last line of output is the run's JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from kit.backup.stack import BackupError
from kit.local.api import local_target
from load import report
from load.baseline import Baseline, BaselineError, read_baseline, regression_checks, save_baseline
from load.dataset import DEFAULT_PRODUCTS, MAX_PRODUCTS, Dataset, local_dataset, stack_dataset
from load.replicas import ReplicaMemoryWatch, memory_checks
from load.runner import LocustRun
from load.suite.gate import Outcome, Verdict, evaluate
from load.suite.profiles import PROFILES, Profile, get_profile
from load.suite.record import RecordError, RunRecord
from load.suite.slo import DEFAULT_SLO_FILE, SloFile, SloFileError, Thresholds, load_slo
from load.target import TargetError, preflight, resolve_target

REPORTS = Path(__file__).resolve().parents[1] / "reports" / "load"


class DataError(RuntimeError):
    """The data could not be prepared as asked: the run is not valid (exit 2)."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/load", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--profile",
        required=True,
        choices=list(PROFILES),
        help="; ".join(f"{p.name}: {p.description}" for p in PROFILES.values()),
    )
    parser.add_argument("--stack", default="dev", help="read lbUrl and apiKey from this stack's outputs")
    parser.add_argument("--host", help="target URL instead of the stack's lbUrl (key from PG_API_KEY)")
    parser.add_argument("--allow-remote", action="store_true", help="allow a target that is not loopback")
    parser.add_argument("--processes", type=int, default=1, help="generator processes on this machine")
    parser.add_argument(
        "--expect-workers",
        type=int,
        default=0,
        metavar="N",
        help="run as master and wait for N workers started on other machines (docs/load.md)",
    )
    parser.add_argument(
        "--gate-only",
        type=Path,
        metavar="DIR",
        help="do not run: gate the record.json a Locust master wrote to DIR (e.g. a loadgen container)",
    )
    parser.add_argument(
        "--local-api",
        type=int,
        default=0,
        metavar="WORKERS",
        help="start the API on 127.0.0.1 with throw-away PostgreSQL and Redis, and load it",
    )
    data = parser.add_mutually_exclusive_group()
    data.add_argument(
        "--reset-data",
        action="store_true",
        help="reset the target's catalogue before the run (the default for step ramps such as stress, "
        "so their knees compare run to run); a stack or --local-api only",
    )
    data.add_argument("--keep-data", action="store_true", help="never reset the target's data")
    parser.add_argument(
        "--products",
        type=int,
        default=DEFAULT_PRODUCTS,
        metavar="N",
        help=f"catalogue size after a reset (default {DEFAULT_PRODUCTS})",
    )
    parser.add_argument("--slo", type=Path, default=DEFAULT_SLO_FILE, help="thresholds file")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="overrides",
        help=f"override one threshold for this run ({', '.join(Thresholds.model_fields)})",
    )
    parser.add_argument("--baseline", type=Path, help="fail when this run regressed from the saved baseline")
    parser.add_argument("--save-baseline", type=Path, help="save this run's figures as a baseline")
    parser.add_argument(
        "--out", type=Path, help="report directory (default reports/load/<stack>-<profile>-<time>)"
    )
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error(f"--processes must be at least 1, got {args.processes}")
    if args.expect_workers < 0 or (args.expect_workers and args.processes > 1):
        parser.error("--expect-workers N takes a positive N and does not combine with --processes")
    if args.local_api < 0 or (args.local_api and (args.host or args.gate_only)):
        parser.error("--local-api WORKERS takes a positive count and replaces --host and --gate-only")
    if not 1 <= args.products <= MAX_PRODUCTS:
        parser.error(f"--products must be within 1..{MAX_PRODUCTS}, got {args.products}")
    return args


def thresholds_for(slo: SloFile, profile: str, overrides: list[str]) -> Thresholds:
    values = slo.thresholds(profile).model_dump()
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or key not in values:
            raise SloFileError(f"--set {item!r}: expected KEY=VALUE with KEY one of {', '.join(values)}")
        values[key] = value
    return Thresholds.model_validate(values)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not args.local_api:
        return run_and_gate(args)
    with local_target(args.local_api) as local:
        args.host, args.stack = local.url, "local"
        return run_and_gate(args, local.api_key, local_dataset(local))


def wants_reset(args: argparse.Namespace, profile: Profile) -> bool:
    """Step ramps reset unless told not to (their knee must compare run to run); others on request."""
    return bool(args.reset_data or (profile.step_ramp and not args.keep_data))


def prepare_data(
    console: Console, args: argparse.Namespace, profile: Profile, dataset: Dataset | None
) -> dict[str, Any]:
    """Resets the catalogue when wanted and reachable; what happened, for the summary.
    Raises DataError when a reset was asked for explicitly and cannot be done."""
    if not wants_reset(args, profile):
        return {"reset": False, "note": "kept as it was"}
    if dataset is None and not args.host:
        try:
            dataset = stack_dataset(args.stack)
        except BackupError as exc:
            raise DataError(f"cannot reset the data of stack {args.stack!r}: {exc}") from None
    if dataset is None:
        if args.reset_data:
            raise DataError(
                "--reset-data needs a stack or --local-api: a --host target's database is out of reach"
            )
        console.print(
            "[yellow]note:[/] a --host target's data cannot be reset; this run's knee may not compare"
        )
        return {"reset": False, "note": "--host target: its database is out of reach"}
    try:
        dataset.reset(args.products)
    except (BackupError, OSError, subprocess.CalledProcessError) as exc:
        raise DataError(f"resetting the catalogue failed: {exc}") from None
    console.print(f"data: catalogue reset to {args.products} products, no orders, no cached products")
    return {"reset": True, "products": args.products}


def run_and_gate(args: argparse.Namespace, api_key: str | None = None, dataset: Dataset | None = None) -> int:
    # Wide enough for route names when the output is a log file rather than a terminal.
    console = Console(stderr=True, width=None if sys.stderr.isatty() else 120)
    profile = get_profile(args.profile)
    out = args.out or REPORTS / f"{args.stack}-{profile.name}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    try:
        slo = load_slo(args.slo)
        thresholds = thresholds_for(slo, profile.name, args.overrides)
        baseline = read_baseline(args.baseline, profile.name) if args.baseline else None
        if args.gate_only:
            record = RunRecord.read(args.gate_only / "record.json")
            verdict = _judge(record, profile, slo, thresholds, baseline, ReplicaMemoryWatch([]))
            return _report(
                console, record, verdict, args.gate_only, args.save_baseline, ReplicaMemoryWatch([])
            )
        target = resolve_target(args.stack, args.host, allow_remote=args.allow_remote, api_key=api_key)
        preflight(target.host)
        data = prepare_data(console, args, profile, dataset)
    except (SloFileError, BaselineError, TargetError, RecordError, DataError) as exc:
        return _invalid(console, profile.name, str(exc))

    run = LocustRun(profile, target.host, target.api_key, out, args.slo, args.processes, args.expect_workers)
    console.print(
        f"running {profile.name} against {target.host} (at most {profile.duration_s:.0f} s), reports in {out}"
    )
    with ReplicaMemoryWatch(list(target.replicas)) as memory:
        exit_code = run.run()
    if exit_code is None or not run.record_path.is_file():
        why = (
            "overran its time limit"
            if exit_code is None
            else f"exited with code {exit_code} without a record"
        )
        return _invalid(console, profile.name, f"locust {why}; see {run.log_path}")

    record = RunRecord.read(run.record_path)
    verdict = _judge(record, profile, slo, thresholds, baseline, memory)
    return _report(console, record, verdict, run.out_dir, args.save_baseline, memory, data)


def _judge(
    record: RunRecord,
    profile: Profile,
    slo: SloFile,
    thresholds: Thresholds,
    baseline: Baseline | None,
    memory: ReplicaMemoryWatch,
) -> Verdict:
    verdict = evaluate(record, profile, thresholds, slo.generator)
    if baseline is not None:
        verdict.checks += regression_checks(baseline, *verdict.headline, slo.baseline)
    verdict.checks += memory_checks(memory, thresholds.max_memory_growth_pct)
    return verdict


def _report(
    console: Console,
    record: RunRecord,
    verdict: Verdict,
    out: Path,
    save_to: Path | None,
    memory: ReplicaMemoryWatch,
    data: dict[str, Any] | None = None,
) -> int:
    """Plot, optional baseline, the tables, summary.json, and the JSON line last; returns the exit code."""
    report.plot(record, out / "plot.png")
    reports = {
        "dir": str(out),
        "html": str(out / "locust.html"),
        "csv": str(out / "locust_stats.csv"),
        "plot": str(out / "plot.png"),
        "summary": str(out / "summary.json"),
    }
    if save_to and verdict.outcome is not Outcome.INVALID:
        rps, p95 = verdict.headline
        save_baseline(save_to, Baseline(profile=record.profile, host=record.host, rps=rps, p95_ms=p95))
        reports["baseline"] = str(save_to)
    report.print_verdict(console, record, verdict)
    # The machine's load as the run ends (generator, target if local, and anything else running):
    # context for whether a figure was bound by this box rather than by the service.
    machine = {"cpus": os.cpu_count(), "load_1m": round(os.getloadavg()[0], 2)}
    summary = report.summary(record, verdict, reports) | {
        "replica_memory": memory.summary(),
        "machine": machine,
        "data": data or {"reset": False, "note": "gated a saved record"},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary))
    return int(verdict.outcome)


def _invalid(console: Console, profile: str, reason: str) -> int:
    console.print(f"[yellow]not valid:[/] {reason}\nresult: {report.OUTCOME_TEXT[2]} (exit 2)")
    print(json.dumps({"profile": profile, "exit_code": 2, "outcome": "invalid", "invalid_reasons": [reason]}))
    return int(Outcome.INVALID)
