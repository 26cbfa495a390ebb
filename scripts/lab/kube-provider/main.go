// The lab's main for pulumi-resource-kubernetes (docs/lab.md): the module's own
// cmd/pulumi-resource-kubernetes/main.go, which cannot be built from the module zip because it
// embeds two generated files the zip lacks. lab:build copies the module's schema.json,
// terraform-mapping.json and generator (generate.go) beside this file and runs the generator with
// VERSION set to the SDK's version before `go build`, as the module's `go:generate` line does.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

var providerName = "kubernetes"

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve(providerName, version.Version, pulumiSchema, terraformMapping)
}
