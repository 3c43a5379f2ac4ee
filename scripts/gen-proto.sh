#!/bin/sh
# gen-proto.sh regenerates sdk/internal/pb from proto/lychd/extension/v1.
# The generated code is committed, so building and CI never need protoc.
#
# Needs: protoc (apt-get install -y protobuf-compiler) and, on $PATH,
#   go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
#   go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
set -eu
# go install puts the plugins in $(go env GOPATH)/bin, often not on PATH.
PATH="$PATH:$(go env GOPATH)/bin"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
for tool in protoc protoc-gen-go protoc-gen-go-grpc; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "gen-proto.sh: $tool not found on PATH (see the header of $0 for how to install it)" >&2
		exit 1
	fi
done
out=sdk/internal/pb
rm -f "$out"/*.pb.go
protoc -I proto \
	--go_out="$out" --go_opt=paths=source_relative \
	--go-grpc_out="$out" --go-grpc_opt=paths=source_relative \
	lychd/extension/v1/extension.proto
# source_relative keeps the proto's directories; flatten them into the package.
mv "$out"/lychd/extension/v1/*.go "$out"/
rm -r "$out"/lychd
