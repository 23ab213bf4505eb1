// Command pulumi-resource-NAME: a Pulumi resource provider that bridges the Terraform provider
// binary terraform-provider-NAME lying next to it (started over go-plugin, as
// pulumi-terraform-bridge's dynamic provider does). Which provider it is comes from -ldflags -X:
//
//	main.name       Pulumi package name (docker, random, tls)
//	main.version    plugin version the Python SDK asks for (its pulumi-plugin.json)
//	main.tfPrefix   Terraform type prefix dropped when forming tokens ("docker_": docker_network ->
//	                docker:index/network:Network; "" keeps it: random_password ->
//	                random:index/randomPassword:RandomPassword)
//
// Names that differ from the bridge's standard ones (the published provider's own mapping, e.g.
// docker_image -> docker:index/remoteImage:RemoteImage) come from overrides.json next to the
// binary (see overrides below); ../sdk-compat.py checks the result against the Python SDK.
//
// `pulumi-resource-NAME --emit-schema FILE` writes the Pulumi package schema (tfgen) and exits;
// at run time the schema is read from schema.json next to the binary when present.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/pulumi/pulumi-terraform-bridge/v3/dynamic/pgshim"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/proto"
	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	bridgetokens "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/spf13/afero"
)

var (
	name     string
	version  string
	tfPrefix string
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-%s: %v\n", name, err)
		os.Exit(1)
	}
}

func run() error {
	if name == "" || version == "" {
		return fmt.Errorf("built without -ldflags '-X main.name=... -X main.version=...'")
	}
	ctx := context.Background()
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return err
	}
	dir := filepath.Dir(exe)

	tf, err := pgshim.LocalProvider(ctx, filepath.Join(dir, "terraform-provider-"+name))
	if err != nil {
		return fmt.Errorf("starting terraform-provider-%s: %w", name, err)
	}
	defer func() { _ = tf.Close() }()
	// The engine stops a provider with SIGINT (then SIGKILL for its process group); without this
	// the Terraform provider child would outlive us, as it does not watch its parent.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-stop
		_ = tf.Close()
		os.Exit(0)
	}()

	ov, err := readOverrides(filepath.Join(dir, "overrides.json"))
	if err != nil {
		return err
	}
	info, err := providerInfo(ctx, tf, ov)
	if err != nil {
		return err
	}

	if len(os.Args) == 3 && os.Args[1] == "--emit-schema" {
		spec, err := generateSchema(info, diag.DefaultSink(os.Stderr, os.Stderr, diag.FormatOptions{Color: colors.Never}))
		if err != nil {
			return err
		}
		return os.WriteFile(os.Args[2], spec, 0o644)
	}

	var meta pfbridge.ProviderMetadata
	if spec, err := os.ReadFile(filepath.Join(dir, "schema.json")); err == nil {
		meta.PackageSchema = spec
	} else {
		meta.XGetSchema = func(context.Context, plugin.GetSchemaRequest) ([]byte, error) {
			return generateSchema(info, diag.DefaultSink(os.Stderr, os.Stderr, diag.FormatOptions{Color: colors.Never}))
		}
	}
	pfbridge.Main(ctx, name, info, meta)
	return nil
}

// providerInfo maps every Terraform resource and data source to a token in the package's index
// module, with the bridge's standard naming (the same rules the published providers start from).
func providerInfo(ctx context.Context, tf pgshim.Provider, ov overrides) (tfbridge.ProviderInfo, error) {
	p := proto.New(ctx, tf)
	info := tfbridge.ProviderInfo{
		P:              p,
		Name:           name,
		Version:        version,
		ResourcePrefix: strings.TrimSuffix(tfPrefixOrName(), "_"),
		Description:    "The " + name + " Terraform provider, bridged to Pulumi.",
		License:        "Apache-2.0",
		MetadataInfo:   &tfbridge.MetadataInfo{Path: "", Data: tfbridge.ProviderMetadata(nil)},
		Resources:      map[string]*tfbridge.ResourceInfo{},
		DataSources:    map[string]*tfbridge.DataSourceInfo{},
	}
	for tfName, o := range ov.Resources {
		info.Resources[tfName] = &tfbridge.ResourceInfo{Tok: tokens.Type(o.Token), Fields: o.fields()}
	}
	for tfName, o := range ov.DataSources {
		info.DataSources[tfName] = &tfbridge.DataSourceInfo{Tok: tokens.ModuleMember(o.Token), Fields: o.fields()}
	}
	if err := pgshim.FixupDefault(&info); err != nil {
		return info, err
	}
	makeToken := bridgetokens.MakeStandard(name)
	err := info.ComputeTokens(bridgetokens.WithCaseInsensitiveDedup(
		bridgetokens.SingleModule(tfPrefix, "index", makeToken), makeToken, info.MetadataInfo.Data))
	return info, err
}

func tfPrefixOrName() string {
	if tfPrefix != "" {
		return tfPrefix
	}
	return name
}

func generateSchema(info tfbridge.ProviderInfo, sink diag.Sink) ([]byte, error) {
	g, err := tfgen.NewGenerator(tfgen.GeneratorOptions{
		Package:       info.Name,
		Version:       info.Version,
		Language:      tfgen.Schema,
		ProviderInfo:  info,
		Root:          afero.NewMemMapFs(),
		Sink:          sink,
		XInMemoryDocs: true,
		SkipExamples:  true,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the schema generator: %w", err)
	}
	ps, err := g.Generate()
	if err != nil {
		return nil, fmt.Errorf("generating the schema: %w", err)
	}
	ps.PackageSpec.Version = info.Version
	return json.MarshalIndent(ps.PackageSpec, "", "  ")
}

// overrides: {"resources": {TF_NAME: ELEMENT}, "dataSources": {TF_NAME: ELEMENT}} where ELEMENT is
// {"token": "pkg:module/name:Name", "fields": {TF_FIELD: {"name": "pulumiName", "maxItemsOne": true}}}
// (every key optional). A missing file means no overrides.
type overrides struct {
	Resources   map[string]elementOverride `json:"resources"`
	DataSources map[string]elementOverride `json:"dataSources"`
}

type elementOverride struct {
	Token  string                   `json:"token"`
	Fields map[string]fieldOverride `json:"fields"`
}

type fieldOverride struct {
	Name        string `json:"name"`
	MaxItemsOne *bool  `json:"maxItemsOne"`
}

func (o elementOverride) fields() map[string]*tfbridge.SchemaInfo {
	if len(o.Fields) == 0 {
		return nil
	}
	out := make(map[string]*tfbridge.SchemaInfo, len(o.Fields))
	for tfField, f := range o.Fields {
		out[tfField] = &tfbridge.SchemaInfo{Name: f.Name, MaxItemsOne: f.MaxItemsOne}
	}
	return out
}

func readOverrides(path string) (overrides, error) {
	var ov overrides
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ov, nil
	}
	if err != nil {
		return ov, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ov); err != nil {
		return ov, fmt.Errorf("%s: %w", path, err)
	}
	return ov, nil
}
