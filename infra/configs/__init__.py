"""Each tool's configuration, one folder per tool at its standard paths (dockprom's layout):
templates, rule files and dashboards beside the pure functions that render them."""
