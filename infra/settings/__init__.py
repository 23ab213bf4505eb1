"""The stack's settings: one frozen, validated object read once from the stack's config.

`model` holds the fields (defaults, bounds), `values` the value types with their error messages,
`loading` reads Pulumi's config and reports every problem at once before anything is declared.
"""

from infra.settings.loading import ConfigError, SecretOverrides, load_settings, parse_settings
from infra.settings.model import Settings

__all__ = ["ConfigError", "SecretOverrides", "Settings", "load_settings", "parse_settings"]
