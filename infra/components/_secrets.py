"""Generated secrets: a random password unless one was set with `pulumi config set --secret`."""

from __future__ import annotations

import pulumi
import pulumi_random as random


def password(
    name: str, *, length: int, given: pulumi.Output[str] | None = None, parent: pulumi.Resource | None = None
) -> pulumi.Output[str]:
    """Letters and digits only, so it is safe unquoted in URLs, env files and redis.conf.

    Marked secret here as well: the Pulumi engine marks `RandomPassword.result` secret, but a
    mock runtime (unit tests, the offline provisioner) does not.
    """
    if given is not None:
        return pulumi.Output.secret(given)
    generated = random.RandomPassword(
        name, length=length, special=False, opts=pulumi.ResourceOptions(parent=parent)
    )
    return pulumi.Output.secret(generated.result)
