"""Entry point Pulumi runs (`main: infra/` in Pulumi.yaml); `infra` imports from the virtualenv,
where the project is installed editable (scripts/lib/common.sh)."""

from infra.program import main

main()
