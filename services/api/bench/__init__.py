"""scripts/bench-api: throughput and latency of the API's hot endpoints next to a minimal one."""
