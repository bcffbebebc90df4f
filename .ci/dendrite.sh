#!/usr/bin/env bash
# Builds the Dendrite homeserver the Matrix end-to-end tests run against (or finds it in the
# cache, $VIGIL_CACHE/dendrite or ~/.cache/vigil/dendrite), through the tests' own harness
# (internal/dendrite), so that a failed build shows as such, before the tests run.
# Cold: about 80 s on two cores; cached: instant.
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL_E2E=1 go test -tags goolm -count=1 -run '^TestBuild$' ./internal/dendrite/
