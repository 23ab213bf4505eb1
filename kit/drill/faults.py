"""The drills, by name, in the order `scripts/drill` runs them: one fault each, how it is undone,
what recovery means and what must hold meanwhile (replicas.py, datastores.py). The checks every
drill shares (the ledger, no 500, the recovery bound, the alert) are the runner's (run.py)."""

from __future__ import annotations

from kit.drill.base import Drill
from kit.drill.datastores import RestartPostgres, StopRedis
from kit.drill.replicas import KillReplica, PauseReplica, ReloadLb

DRILLS: dict[str, type[Drill]] = {
    d.name: d for d in (KillReplica, PauseReplica, StopRedis, RestartPostgres, ReloadLb)
}
