#!/usr/bin/env bash
# Builds the Pulumi CLI and Rollway's Python language host from Pulumi's Go modules into .engine/bin, at the
# version of the pulumi Python SDK pinned in pyproject.toml (engine/go.mod requires the same version; a test
# keeps the two equal). Go's module and build caches are reused when present, so a warm rebuild takes seconds.
set -euo pipefail
cd "$(dirname "$0")"
out=../.engine/bin
mkdir -p "$out"
version=$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)
sdk_dir=$(go mod download -json github.com/pulumi/pulumi/sdk/v3 | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -d "$sdk_dir" ] || { echo "engine: could not download github.com/pulumi/pulumi/sdk/v3" >&2; exit 1; }
go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
  -o "$out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$out/pulumi-language-python" ./cmd/pulumi-language-python
# The launcher script the language host runs the program with, as shipped in the sdk module.
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$out/pulumi-language-python-exec"
install -m 0755 pulumi-analyzer-policy-nodejs "$out/pulumi-analyzer-policy-nodejs"
echo "engine: built pulumi $version and pulumi-language-python into .engine/bin"
