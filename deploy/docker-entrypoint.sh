#!/bin/sh
# Apply the migrations, then run the given `crisis` command (default: serve).
# Set CRISIS_MIGRATE_AT_START=0 for extra processes (workers) started after the service.
set -eu
if [ "${CRISIS_MIGRATE_AT_START:-1}" = "1" ]; then
    crisis db upgrade
fi
exec crisis "$@"
