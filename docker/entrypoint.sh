#!/bin/sh
# Waits until the database accepts connections, then execs the given command.
#   DB_WAIT_TIMEOUT      seconds to keep trying (default 60; 0 skips the wait)
#   WAIT_FOR_MIGRATIONS  1: also wait until every migration is applied. The worker and beat
#                        set it so they never run tasks against a schema web is still migrating.
set -eu

if [ "$#" -eq 0 ]; then
    echo "entrypoint: no command given" >&2
    exit 64
fi

if [ "${DB_WAIT_TIMEOUT:-60}" != "0" ]; then
    python - <<'PY'
import os
import sys
import time

import django

# libpq waits forever on a host that drops packets; bound each attempt instead.
os.environ.setdefault("PGCONNECT_TIMEOUT", "5")
# Settings errors (missing SECRET_KEY, bad DATABASE_URL) raise here and stop start-up at once:
# waiting cannot fix them.
django.setup()

from django.db import DatabaseError, connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

timeout = float(os.environ.get("DB_WAIT_TIMEOUT", "60"))
flag = os.environ.get("WAIT_FOR_MIGRATIONS", "0").strip().lower()
want_migrations = flag in {"1", "true", "yes", "on"}
deadline = time.monotonic() + timeout
last = ""
while True:
    try:
        connection.ensure_connection()
        if not want_migrations:
            break
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if not pending:
            break
        reason = f"{len(pending)} migration(s) not applied yet"
    except DatabaseError as exc:
        first_line = (str(exc).strip().splitlines() or [repr(exc)])[0]
        reason = f"database not reachable: {first_line}"
    finally:
        connection.close()
    if reason != last:
        print(f"entrypoint: waiting, {reason}", file=sys.stderr, flush=True)
        last = reason
    if time.monotonic() >= deadline:
        print(f"entrypoint: gave up after {timeout:g}s: {reason}", file=sys.stderr, flush=True)
        sys.exit(1)
    time.sleep(1)
PY
fi

exec "$@"
