"""Bringing stacks up and down with either engine: the Pulumi CLI or the offline provisioner.

`python -m kit.engine nextsteps|leftovers --stack NAME` are engine-neutral; `kit.engine.offline`
is the stand-in engine for machines without a Pulumi CLI.
"""
