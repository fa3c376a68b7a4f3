#!/usr/bin/env bash
# A private PostgreSQL cluster for tests and the demo: initdb'd once in the cache dir, listening on
# 127.0.0.1:$MINIBOT_PG_PORT only, run by the `postgres` system user (initdb refuses root).
#   postgres.sh start | stop | url
set -euo pipefail
DIR=${MINIBOT_PG_DIR:-${MINIBOT_CACHE:-/var/cache/minibot}/pg}
PORT=${MINIBOT_PG_PORT:-25432}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$BIN" ] || { echo "[pg] PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_pg() { runuser -u postgres -- "$@"; }

# One start or stop at a time per cluster: two tests may ask for the same one at once.
mkdir -p "$DIR"
exec 9>"$DIR.lock"
flock 9

case "${1:-start}" in
start)
    mkdir -p "$DIR/run"
    chown -R postgres:postgres "$DIR"
    # The server runs as `postgres`: the cache dir holding the cluster must let it through
    # (a `mktemp -d` cache is 0700).
    chmod o+x "$(dirname "$DIR")"
    if [ ! -f "$DIR/data/PG_VERSION" ]; then
        as_pg "$BIN/initdb" -D "$DIR/data" -U minibot --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
            || { tail "$DIR/initdb.log" >&2; exit 1; }
    fi
    # TLS with a self-signed certificate, so sslmode=require is tested against a real server.
    if [ ! -f "$DIR/data/server.crt" ]; then
        openssl req -new -x509 -days 3650 -nodes -subj "/CN=minibot-test" \
            -keyout "$DIR/data/server.key" -out "$DIR/data/server.crt" >/dev/null 2>&1
        chown postgres:postgres "$DIR/data/server.key" "$DIR/data/server.crt"
        chmod 600 "$DIR/data/server.key"
        echo "ssl = on" >>"$DIR/data/postgresql.conf"
    fi
    if ! as_pg "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
        # 9>&-: the server must not inherit (and hold for its whole life) this script's lock.
        as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 30 \
            -o "-p $PORT -h 127.0.0.1 -k $DIR/run -c fsync=on -c max_connections=200" start >/dev/null 9>&-
    fi
    as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U minibot -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'minibot'" | grep -q 1 \
        || as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U minibot minibot
    ;;
stop)
    [ -f "$DIR/data/PG_VERSION" ] && as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
url)
    echo "host=127.0.0.1 port=$PORT user=minibot dbname=minibot"
    ;;
*) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
