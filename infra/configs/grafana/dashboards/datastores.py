"""PostgreSQL and Redis, from their exporters."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import Dashboard

from infra.configs.grafana.dashboards.panels import dashboard as build
from infra.configs.grafana.dashboards.panels import panel, target


def dashboard() -> Dashboard:
    return build(
        "pg-datastores",
        "PostgreSQL and Redis",
        [
            panel("PostgreSQL up", target('pg_up{job="postgres"}', "up"), kind="stat"),
            panel("Redis up", target('redis_up{job="redis"}', "up"), kind="stat"),
            panel(
                "PostgreSQL connections by state",
                target('sum by (state) (pg_stat_activity_count{job="postgres"})', "{{state}}"),
            ),
            panel(
                "PostgreSQL transactions/s",
                target('sum(rate(pg_stat_database_xact_commit{job="postgres"}[1m]))', "commits"),
                target('sum(rate(pg_stat_database_xact_rollback{job="postgres"}[1m]))', "rollbacks"),
                unit="ops",
            ),
            panel(
                "Redis memory",
                target('redis_memory_used_bytes{job="redis"}', "used"),
                target('redis_memory_max_bytes{job="redis"}', "maxmemory"),
                unit="bytes",
            ),
            panel(
                "Redis hit ratio",
                target(
                    'rate(redis_keyspace_hits_total{job="redis"}[1m])'
                    ' / (rate(redis_keyspace_hits_total{job="redis"}[1m])'
                    ' + rate(redis_keyspace_misses_total{job="redis"}[1m]))',
                    "hit ratio",
                ),
                unit="percentunit",
            ),
            panel(
                "Redis commands/s and clients",
                target('rate(redis_commands_processed_total{job="redis"}[1m])', "commands/s"),
                target('redis_connected_clients{job="redis"}', "clients"),
            ),
            panel("Redis evictions/s", target('rate(redis_evicted_keys_total{job="redis"}[1m])', "evicted")),
        ],
        ["postgres", "redis"],
    )
