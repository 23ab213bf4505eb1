"""Drills: break one thing of a running stack under steady load, count what users saw, restore it.

`traffic` is the load-and-count harness (fixed rate, every status and connection error counted),
`ledger` compares the orders the API acknowledged with the rows in Postgres; both are what a
rolling update under load reuses. `faults` names the drills (defined in `replicas` and
`datastores`), `run` runs one (restoring in `finally`), `alerts`/`alertcheck` follow the alert to
a webhook receiver, `dashboards` checks every panel query has data, `report` prints the table,
draws the timelines and the JSON line, `cli` is `scripts/drill`. See docs/operations.md
("Failures and what users see").
"""
