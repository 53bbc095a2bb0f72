#!/usr/bin/env bash
# The main job on an embedded default: builds uwg and runs the demo.
# Until `uwg up` lands this runs the protocol self-check (crypto KATs and an
# in-memory handshake); it will become a server and a client in network
# namespaces passing traffic (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/demo -j"$(nproc)" >/dev/null
(cd build/demo && ctest -L unit --output-on-failure)
