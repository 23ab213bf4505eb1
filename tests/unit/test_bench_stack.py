"""scripts/bench-stack's pure parts: cgroup parsing, CPU-per-request and ratio arithmetic, wrk's
figures, the userland proxy's lookup. The measuring itself needs a stack and is not a test."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.settings.loading import parse_settings
from kit.bench.cpu import CgroupError, counter_for_pid, group_path, usage_from_cpu_stat
from kit.bench.figures import Target, averaged, cpu_per_request_us, idle_rates, ratio, spread, weighted_mean
from kit.bench.stack import MachineSample, busy_cores, engine_pids, proxy_pids
from kit.bench.wrk import ROUTES, parse_done_line
from load.suite.mix import MIX
from tests.unit.conftest import stack_config

V1 = """12:cpuset:/docker/abc
4:cpu,cpuacct:/docker/abc
0::/system.slice/containerd.service
"""
V2 = "0::/system.slice/docker-abc.scope\n"


def test_group_of_a_process_on_either_cgroup_version() -> None:
    assert group_path(V1, 1) == "/docker/abc"
    assert group_path(V2, 2) == "/system.slice/docker-abc.scope"
    with pytest.raises(CgroupError):
        group_path(V2, 1)


def test_v2_usage_is_read_in_nanoseconds() -> None:
    assert usage_from_cpu_stat("usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n") == 1_500_000
    with pytest.raises(CgroupError):
        usage_from_cpu_stat("user_usec 1\n")


@pytest.mark.parametrize("version", [1, 2])
def test_counter_is_found_from_the_containers_pid(tmp_path: Path, version: int) -> None:
    root, proc = tmp_path / "cgroup", tmp_path / "proc"
    (proc / "42").mkdir(parents=True)
    if version == 1:
        (proc / "42" / "cgroup").write_text(V1)
        group = root / "cpu,cpuacct" / "docker" / "abc"
        group.mkdir(parents=True)
        (group / "cpuacct.usage").write_text("123456789\n")
    else:
        root.mkdir()
        (root / "cgroup.controllers").write_text("cpu memory\n")
        (proc / "42" / "cgroup").write_text(V2)
        group = root / "system.slice" / "docker-abc.scope"
        group.mkdir(parents=True)
        (group / "cpu.stat").write_text("usage_usec 123456\n")
    counter = counter_for_pid("api-0", 42, root=root, proc=proc)
    assert counter.nanoseconds() == (123_456_789 if version == 1 else 123_456_000)


def test_cpu_per_request_subtracts_idle_and_never_goes_negative() -> None:
    before, after = {"api": 1_000_000, "redis": 0}, {"api": 6_000_000, "redis": 100_000}
    # 5 ms of API CPU over 10 requests, less 1 ms/s idle for 2 s: 300 µs each; Redis' 0.1 ms is idle.
    figures = cpu_per_request_us(before, after, 10, idle_ns_per_s={"api": 1e6, "redis": 1e6}, seconds=2)
    assert figures == {"api": 300.0, "redis": 0.0}
    assert cpu_per_request_us(before, after, 0) == {"api": 0.0, "redis": 0.0}
    assert idle_rates({"api": 0}, {"api": 3_000_000}, 3.0) == {"api": 1e6}


def test_the_mix_is_weighted_like_the_load_suite() -> None:
    flat = dict.fromkeys(MIX, 100.0)
    assert weighted_mean(flat, MIX) == pytest.approx(100.0)
    costly_orders = flat | {"order": 1100.0}  # orders are 10 of the mix's 100
    assert weighted_mean(costly_orders, MIX) == pytest.approx(200.0)
    with pytest.raises(KeyError, match="order"):
        weighted_mean({k: v for k, v in flat.items() if k != "order"}, MIX)
    assert set(MIX) <= set(ROUTES)  # every action of the mix is a route the benchmark measures


def test_ratios_targets_and_rounds() -> None:
    assert ratio(750, 500) == 1.5
    assert ratio(1, 0) == 0.0
    assert Target("mixed_cpu_ratio", 1.5, 1.5, at_most=True).ok
    assert not Target("knee_ratio", 0.44, 0.45, at_most=False).ok
    assert Target("knee_ratio", 0.5, 0.45, at_most=False).text() == "≥ 0.45"
    assert averaged([{"a": 1.0, "b": 4.0}, {"a": 3.0}]) == {"a": 2.0, "b": 4.0}
    assert spread([90.0, 110.0]) == pytest.approx(0.2)


def test_wrk_figures_are_parsed_from_the_done_hook() -> None:
    stdout = (
        'Running 4s test\nBENCH_JSON {"requests":2000,"duration_us":4000000,"status_errors":1,'
        '"socket_errors":2,"p50_us":1500,"p99_us":9000}\n'
    )
    result = parse_done_line(stdout)
    assert (result.rps, result.requests, result.failed, result.p50_ms, result.p99_ms) == (
        500,
        2000,
        3,
        1.5,
        9,
    )
    with pytest.raises(RuntimeError, match="no figures"):
        parse_done_line("connection refused")


def test_busy_cores_and_the_userland_proxy_lookup(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 100 800 0 0 0 0 0 0\n")
    before = MachineSample.now(stat)
    stat.write_text("cpu  200 0 200 900 0 0 0 0 0 0\n")  # 200 of 300 jiffies busy
    assert busy_cores(before, MachineSample.now(stat), 2) == pytest.approx(4 / 3)
    for pid, argv in {
        7: ["/usr/sbin/docker-proxy", "-proto", "tcp", "-host-port", "28180"],
        8: ["sleep", "1"],
    }.items():
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    assert proxy_pids(28180, proc=tmp_path) == [7]
    assert proxy_pids(18080, proc=tmp_path) == []


def test_the_engine_processes_are_the_daemons_and_each_containers_shim(tmp_path: Path) -> None:
    processes = {  # pid: (comm, parent)
        3: ("dockerd", 1),
        4: ("containerd", 1),
        40: ("containerd-shim", 4),
        41: ("nginx", 40),  # a container's first process: its parent is its shim
        50: ("containerd-shim", 4),
        51: ("python (api)", 50),  # a command with a space and parentheses in it
        60: ("sleep", 1),
    }
    for pid, (comm, parent) in processes.items():
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "comm").write_text(comm + "\n")
        (tmp_path / str(pid) / "stat").write_text(f"{pid} ({comm}) S {parent} 1 1 0 -1\n")
    assert engine_pids([41, 51], proc=tmp_path) == [3, 4, 40, 50]
    assert engine_pids([41, 999], proc=tmp_path) == [3, 4, 40]  # a container gone meanwhile


def test_the_bench_stack_file_is_valid_and_means_what_it_says(declare_stack) -> None:  # type: ignore[no-untyped-def]
    declared = declare_stack("bench-stack", config_from="bench")
    assert declared.outputs["lbUrl"] == "http://127.0.0.1:28180"
    api = [inputs for name, inputs in declared.containers.items() if declared.role(name) == "api"]
    assert len(api) == 3
    assert [float(replica["cpus"]) for replica in api] == [2.0] * 3  # every core of this box: no cap
    settings = parse_settings("bench-stack", stack_config("bench"))
    assert (settings.rate_limit_enabled, settings.lb_rate_limit_rps) == (False, 100_000)
