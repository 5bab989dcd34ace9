//go:build tools

// Package tools pins the Pulumi CLI's main package so `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi`
// resolves it through this module's requirements.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
