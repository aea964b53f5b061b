#!/usr/bin/env bash
# System packages for the integration tests: a real one-node SLURM cluster (slurm, munge) and a headless browser
# (chromium). Installed with apt-get where that is possible (root on Debian/Ubuntu); elsewhere the tests that need
# them skip and say why.
set -euo pipefail
need=()
command -v slurmctld >/dev/null || need+=(slurmctld slurmd slurm-client munge)
command -v chromium >/dev/null || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "installing system packages for the integration tests: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
    echo "note: cannot install ${need[*]} (needs root and apt-get); the tests that use them will be skipped"
fi
