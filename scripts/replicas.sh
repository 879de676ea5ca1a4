#!/usr/bin/env bash
# Three gateway replicas on one PostgreSQL database, on this machine, for trying replicas out:
#   scripts/replicas.sh [database-url]      (default postgres://postgres@127.0.0.1:5432/trackgate_replicas)
# Starts the local PostgreSQL if it is not up (scripts/ensure-postgres.sh), creates the database
# if missing, then replicas on ports 8081, 8082 and 8083 (data dirs under ./data/replica-N, one
# shared TensorBoard dir ./data/tensorboard, one admin key for all). Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."

URL="${1:-postgres://postgres@127.0.0.1:5432/trackgate_replicas}"
DB="${URL##*/}"; DB="${DB%%\?*}"
SERVER="${URL%/*}/postgres"

if [[ "$URL" == *127.0.0.1* || "$URL" == *localhost* ]]; then scripts/ensure-postgres.sh; fi
if ! psql "$SERVER" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
  psql "$SERVER" -qc "CREATE DATABASE \"$DB\""
  echo "replicas: created database $DB"
fi

mkdir -p data
KEY_FILE=data/replicas-admin.key
[ -s "$KEY_FILE" ] || (umask 077; node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("hex"))' > "$KEY_FILE")
export TRACKGATE_ADMIN_KEY="$(cat "$KEY_FILE")"
export TRACKGATE_DATABASE_URL="$URL"
export TRACKGATE_TENSORBOARD_DIR="$PWD/data/tensorboard"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait' INT TERM EXIT
for i in 1 2 3; do
  PORT=$((8080 + i)) TRACKGATE_REPLICA_ID="replica-$i" TRACKGATE_DATA_DIR="data/replica-$i" \
    node --import tsx src/server.ts > "data/replica-$i.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3; do
  until curl -sf "http://127.0.0.1:$((8080 + i))/healthz" >/dev/null; do
    kill -0 "${pids[$((i - 1))]}" 2>/dev/null || { echo "replica-$i did not start; see data/replica-$i.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "replica-$i: http://127.0.0.1:$((8080 + i))   (log: data/replica-$i.log)"
done
echo "admin key (all replicas): $KEY_FILE"
echo "try: curl -s http://127.0.0.1:8082/healthz   # its id and the leases it holds; kill one and watch another take over"
wait
