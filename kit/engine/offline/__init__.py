"""Offline provisioner: the Pulumi program, run under Pulumi's mock runtime, creating real Docker objects.

For machines without the Pulumi CLI/engine or provider plugins. See `runner` for the flow and
`mocks` for the resource types it implements. It keeps no state: `up` creates, `down` removes
everything labelled with the stack.
"""
