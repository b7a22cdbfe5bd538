#!/usr/bin/env bash
# Regenerates the Go code for every .proto file under proto/ with Debian's
# protoc and the protoc-gen-go pinned in go.mod (a `tool` line), so the
# committed code is reproducible. Run from anywhere: bash proto/generate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
mapfile -t files < <(find proto -name '*.proto' | sort)
[ ${#files[@]} -gt 0 ] || exit 0
protoc --plugin=protoc-gen-go="$bin/protoc-gen-go" -I proto \
  --go_out=. --go_opt=module=github.com/hashshare/hashshare "${files[@]}"
