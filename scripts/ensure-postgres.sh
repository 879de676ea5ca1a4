#!/usr/bin/env bash
# Makes sure the local PostgreSQL server (127.0.0.1:5432) is up, for the PostgreSQL store tests:
# starts the Debian cluster when it is not answering, then waits up to 30 s for it.
set -euo pipefail

HOST=127.0.0.1
ready () { pg_isready -q -h "$HOST" >/dev/null 2>&1; }

if ready; then
  echo "ensure-postgres: server up at $HOST:5432"
  exit 0
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d /etc/postgresql ]; then
  echo "ensure-postgres: no server at $HOST:5432 and no Debian cluster to start (install postgresql, or set TRACKGATE_TEST_PG_URL)" >&2
  exit 1
fi

version="$(ls /etc/postgresql | sort -V | tail -n 1)"
echo "ensure-postgres: starting cluster $version/main"
pg_ctlcluster --skip-systemctl-redirect "$version" main start || echo "ensure-postgres: pg_ctlcluster failed; waiting in case it is starting anyway" >&2

for _ in $(seq 1 30); do
  if ready; then
    echo "ensure-postgres: server up at $HOST:5432"
    exit 0
  fi
  sleep 1
done

echo "ensure-postgres: the server at $HOST:5432 did not come up within 30 s (see /var/log/postgresql/)" >&2
exit 1
