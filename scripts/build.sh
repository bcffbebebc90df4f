#!/usr/bin/env bash
# The one build command of Vigil, shared by CI (.ci/run) and the Dockerfile, so that both
# build the same binary: static (no cgo), with the pure-Go Matrix encryption (goolm),
# without local paths or VCS stamps, stripped, and with its version set.
#
#   scripts/build.sh [OUT]          OUT defaults to ./vigil
#
# VERSION sets the version that `vigil version` prints; by default `git describe`, or
# "dev" outside a git checkout (as in a Docker build, whose context has no .git). Pass the
# same VERSION to get the same bytes. GOOS and GOARCH cross-compile as usual.
set -euo pipefail

out=${1:-vigil}
case $out in
/*) ;;
*) out=$PWD/$out ;; # relative to where the script was called from
esac

cd "$(dirname "$0")/.."

version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
if [[ ! $version =~ ^[A-Za-z0-9][A-Za-z0-9._+~-]*$ ]]; then
	echo "build.sh: VERSION ${version@Q} may hold only letters, digits and . _ + ~ -" >&2
	exit 2
fi

# -buildvcs=false: a build inside a git checkout (CI) would otherwise embed the commit and
# a "modified" flag that a build from the Docker context cannot, and the binaries differ.
CGO_ENABLED=0 exec go build -trimpath -buildvcs=false -tags goolm \
	-ldflags "-s -w -X github.com/vigilbot/vigil/app.Version=$version" \
	-o "$out" .
