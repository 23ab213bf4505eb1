// Package pgshim re-exports two helpers of pulumi-terraform-bridge's dynamic provider that live
// in internal packages. Go lets a package import an internal package only from under the
// internal package's parent path, so this tiny local module takes a module path below
// .../dynamic/ (it is never published; ../go.mod points at it with a replace directive).
package pgshim

import (
	"context"

	"github.com/pulumi/pulumi-terraform-bridge/v3/dynamic/internal/fixup"
	"github.com/pulumi/pulumi-terraform-bridge/v3/dynamic/internal/shim/run"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/info"
)

// Provider is a running Terraform provider binary, seen as a tfprotov6 server.
type Provider = run.Provider

// LocalProvider starts the Terraform provider binary at path (its name must end with
// terraform-provider-NAME) over go-plugin, the way `pulumi package add terraform-provider
// ./path` does.
func LocalProvider(ctx context.Context, path string) (Provider, error) {
	return run.LocalProvider(ctx, path)
}

// FixupDefault applies the dynamic bridge's default fixes (property names that clash with
// Pulumi's reserved ones, such as a Terraform attribute called "urn").
func FixupDefault(p *info.Provider) error { return fixup.Default(p) }
