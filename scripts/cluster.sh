#!/usr/bin/env bash
# A whole Doorman topology on loopback, for a person to try (issue 11):
#
#   HAProxy ─┬─ doorman serve --instance-name doorman-1 ─┐
#            ├─ doorman-2                                 ├─ PgBouncer (transaction mode) ─ PostgreSQL primary ─→ standby (streaming)
#            └─ doorman-3                                 └─ Redis master ─→ replica, watched by 3 sentinels
#
#   scripts/cluster.sh up       start it all (make cluster), print the URLs and how to try a failover
#   scripts/cluster.sh down     stop it all (make cluster-down); idempotent
#   scripts/cluster.sh status   what runs
#   scripts/cluster.sh smoke    up, then check it: logins through HAProxy reach all three
#                               instances, doorman fleet lists them, a killed one leaves; then down
#
# Everything lives under one state directory, $DOORMAN_CLUSTER_DIR (default
# .build/cluster; as root, somewhere the postgres user can enter), with
# pidfiles and logs. Ports are DOORMAN_CLUSTER_PORT (default 7400) and up:
#   +0 HAProxy, +1..+3 doorman-1..3, +10 PostgreSQL primary, +11 standby,
#   +12 PgBouncer, +20 Redis master, +21 replica, +26..+28 sentinels.
# `up` on a stopped cluster starts afresh (new data directories, demo data).
# As root, PostgreSQL and PgBouncer run as `postgres` (they refuse root).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
doorman="${DOORMAN_BINARY:-$root/.build/release/doorman}"
base="${DOORMAN_CLUSTER_PORT:-7400}"
pgbin="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"

haproxy_port=$base
instance_ports=($((base + 1)) $((base + 2)) $((base + 3)))
primary_port=$((base + 10))
standby_port=$((base + 11))
bouncer_port=$((base + 12))
master_port=$((base + 20))
replica_port=$((base + 21))
sentinel_ports=($((base + 26)) $((base + 27)) $((base + 28)))
master_name=doorman

as_postgres=()
if [ "$(id -u)" -eq 0 ]; then as_postgres=(runuser -u postgres --); fi

# The state directory: the postgres user must be able to reach it when we are root.
default_state="$root/.build/cluster"
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$root/.build" 2>/dev/null; then
    default_state="/var/tmp/doorman-cluster"
fi
state="${DOORMAN_CLUSTER_DIR:-$default_state}"
run="$state/run"      # pidfiles, sockets
logs="$state/log"

say() { printf 'cluster: %s\n' "$*"; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }

# A pid from a pidfile if that process is alive.
alive() {
    local file=$1 pid
    [ -f "$file" ] || return 1
    pid=$(head -n 1 "$file" 2>/dev/null || true)
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

port_taken() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local seconds=$1 what=$2; shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "$what did not come up within ${seconds}s (logs in $logs)"
        sleep 0.2
    done
}

psql_primary() { "${as_postgres[@]}" "$pgbin/psql" -X -q -h 127.0.0.1 -p "$primary_port" -U postgres "$@"; }

# What this Doorman build supports (features that land from other branches).
supports_notify_url() { grep -q -- '--notify-database-url' <<<"$("$doorman" serve --help 2>/dev/null)"; }
supports_sentinel() {
    # A sentinel URL this build cannot parse is a configuration error (exit 64);
    # one it can parse gets as far as asking the sentinels.
    local status=0
    "$doorman" fleet --redis-url "redis+sentinel://127.0.0.1:${sentinel_ports[0]}/$master_name" --redis-timeout 1s >/dev/null 2>&1 || status=$?
    [ "$status" -ne 64 ]
}

urls() {
    # Direct to the primary, or to the standby once it has been promoted.
    direct="postgresql://postgres@127.0.0.1:$primary_port,127.0.0.1:$standby_port/doorman?target_session_attrs=read-write&connect_timeout=2"
    if supports_notify_url; then
        # Logins through PgBouncer (the standby directly as the second host, for
        # when the primary is gone), notifications on a direct connection.
        database_url="postgresql://postgres@127.0.0.1:$bouncer_port,127.0.0.1:$standby_port/doorman?target_session_attrs=read-write&connect_timeout=2"
        notify_flags=(--notify-database-url "$direct")
    else
        database_url="$direct"
        notify_flags=()
    fi
    if supports_sentinel; then
        redis_url="redis+sentinel://127.0.0.1:${sentinel_ports[0]},127.0.0.1:${sentinel_ports[1]},127.0.0.1:${sentinel_ports[2]}/$master_name"
    else
        redis_url="redis://127.0.0.1:$master_port"
    fi
}

print_summary() {
    urls
    cat <<EOF

Doorman cluster is up (state in $state).

  Doorman through HAProxy:  http://127.0.0.1:$haproxy_port        (try: curl -u john_doe:EXAMPLE_PASSWORD -i http://127.0.0.1:$haproxy_port/products)
  doorman-1..3:             http://127.0.0.1:${instance_ports[0]}  http://127.0.0.1:${instance_ports[1]}  http://127.0.0.1:${instance_ports[2]}
  PostgreSQL primary:       postgresql://postgres@127.0.0.1:$primary_port/doorman
  PostgreSQL standby:       postgresql://postgres@127.0.0.1:$standby_port/doorman
  PgBouncer (transaction):  postgresql://postgres@127.0.0.1:$bouncer_port/doorman
  Redis master, replica:    redis://127.0.0.1:$master_port  redis://127.0.0.1:$replica_port
  Redis sentinels:          127.0.0.1:${sentinel_ports[0]} 127.0.0.1:${sentinel_ports[1]} 127.0.0.1:${sentinel_ports[2]} (master name "$master_name")

  The instances use:        --database-url '$database_url'${notify_flags[*]:+
                            ${notify_flags[0]} '${notify_flags[1]}'}
                            --redis-url '$redis_url'
$(supports_notify_url || echo "  (this doorman has no --notify-database-url yet: the instances go to PostgreSQL directly, not through PgBouncer)")
$(supports_sentinel || echo "  (this doorman has no redis+sentinel:// yet: the instances use the master directly and lose the cache when it dies)")

Watch it:
  $doorman ui --remote http://127.0.0.1:$haproxy_port      (log in, then v: the fleet page)
  $doorman fleet --redis-url '$redis_url'
Try a failover:
  ${as_postgres[*]:+${as_postgres[*]} }$pgbin/pg_ctl -D $state/pg-primary -m immediate stop; ${as_postgres[*]:+${as_postgres[*]} }$pgbin/pg_ctl -D $state/pg-standby -w promote
  kill -9 \$(cat $run/redis-master.pid)         # Sentinel promotes the replica in about 2 s
  kill -9 \$(cat $run/doorman-1.pid)            # HAProxy sends its requests to the others
Stop it all:
  make cluster-down        (or scripts/cluster.sh down)
EOF
}

up() {
    [ -x "$doorman" ] || die "$doorman is missing: run 'swift build -c release' (make cluster does)"
    [ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || die "PostgreSQL's programs are missing: run scripts/install-deps.sh"
    for program in haproxy pgbouncer redis-server redis-sentinel; do
        command -v "$program" >/dev/null || [ -x "/usr/sbin/$program" ] || die "$program is missing: run scripts/install-deps.sh --cluster"
    done
    if alive "$run/haproxy.pid" >/dev/null; then
        say "already running"
        print_summary
        return
    fi
    down quiet
    for port in $haproxy_port "${instance_ports[@]}" $primary_port $standby_port $bouncer_port $master_port $replica_port "${sentinel_ports[@]}"; do
        port_taken "$port" && die "port $port is taken: choose another range with DOORMAN_CLUSTER_PORT=N"
    done
    # Start afresh, but never wipe a directory that is not a cluster's.
    if [ -d "$state" ] && [ -n "$(ls -A "$state")" ] && [ ! -f "$state/.doorman-cluster" ]; then
        die "$state is not empty and not a Doorman cluster's; choose another DOORMAN_CLUSTER_DIR"
    fi
    rm -rf "$state"
    # A start that fails half-way stops what it started (logs stay).
    trap 'status=$?; if [ "$status" -ne 0 ]; then say "start failed; stopping what started (logs in $logs)"; down quiet; fi' EXIT
    mkdir -p "$run" "$logs"
    touch "$state/.doorman-cluster"
    chmod 755 "$state"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$run" "$logs" "$state"; fi

    # PostgreSQL primary, then a streaming standby from pg_basebackup.
    say "PostgreSQL primary on $primary_port"
    "${as_postgres[@]}" "$pgbin/initdb" -D "$state/pg-primary" -U postgres --auth=trust -E UTF8 >"$logs/initdb.log" 2>&1
    echo "host replication all 127.0.0.1/32 trust" >>"$state/pg-primary/pg_hba.conf"
    local options="-c listen_addresses=127.0.0.1 -k $run -c fsync=off -c wal_keep_size=64MB"
    "${as_postgres[@]}" "$pgbin/pg_ctl" -D "$state/pg-primary" -l "$logs/pg-primary.log" -w -o "-p $primary_port $options" start >/dev/null
    psql_primary -d postgres -c "CREATE DATABASE doorman"
    say "PostgreSQL standby on $standby_port"
    "${as_postgres[@]}" "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$state/pg-standby" -R -X stream -c fast
    "${as_postgres[@]}" "$pgbin/pg_ctl" -D "$state/pg-standby" -l "$logs/pg-standby.log" -w -o "-p $standby_port $options" start >/dev/null

    # PgBouncer in transaction mode, in front of the primary.
    say "PgBouncer on $bouncer_port"
    cat >"$state/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=$primary_port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = trust
auth_file = $state/pgbouncer-users.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
logfile = $logs/pgbouncer.log
pidfile = $run/pgbouncer.pid
EOF
    echo '"postgres" ""' >"$state/pgbouncer-users.txt"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$state/pgbouncer.ini" "$state/pgbouncer-users.txt"; fi
    "${as_postgres[@]}" pgbouncer -d "$state/pgbouncer.ini"

    # Redis master and replica, and three sentinels.
    say "Redis master on $master_port, replica on $replica_port, sentinels on ${sentinel_ports[*]}"
    redis-server --port "$master_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$state" \
        --daemonize yes --pidfile "$run/redis-master.pid" --logfile "$logs/redis-master.log"
    redis-server --port "$replica_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$state" \
        --replicaof 127.0.0.1 "$master_port" \
        --daemonize yes --pidfile "$run/redis-replica.pid" --logfile "$logs/redis-replica.log"
    for index in 0 1 2; do
        local port=${sentinel_ports[$index]}
        cat >"$state/sentinel-$port.conf" <<EOF
port $port
bind 127.0.0.1
dir $state
pidfile $run/sentinel-$port.pid
logfile $logs/sentinel-$port.log
sentinel monitor $master_name 127.0.0.1 $master_port 2
sentinel down-after-milliseconds $master_name 1000
sentinel failover-timeout $master_name 3000
EOF
        redis-sentinel "$state/sentinel-$port.conf" --daemonize yes
    done
    wait_for 10 "Redis" redis-cli -p "$master_port" ping
    wait_for 10 "PgBouncer" "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$bouncer_port"

    # The schema and the demo data, on the primary.
    urls
    say "doorman db init"
    "$doorman" db init --database-url "postgresql://postgres@127.0.0.1:$primary_port/doorman" >"$logs/db-init.log" 2>&1 \
        || die "doorman db init failed: $(tail -n 3 "$logs/db-init.log")"

    # Three instances.
    for index in 0 1 2; do
        local name="doorman-$((index + 1))" port=${instance_ports[$index]}
        say "$name on $port"
        nohup "$doorman" serve --port "$port" --instance-name "$name" --trusted-proxy 127.0.0.1 \
            --database-url "$database_url" "${notify_flags[@]}" --redis-url "$redis_url" \
            >"$logs/$name.log" 2>&1 </dev/null &
        echo $! >"$run/$name.pid"
        disown
    done
    for port in "${instance_ports[@]}"; do wait_for 30 "doorman on $port" curl -fsS "http://127.0.0.1:$port/healthz"; done

    # HAProxy, from deploy/haproxy.cfg on the cluster's ports.
    say "HAProxy on $haproxy_port"
    sed -e "s/bind 127.0.0.1:8000/bind 127.0.0.1:$haproxy_port/" \
        -e "s/127.0.0.1:8081/127.0.0.1:${instance_ports[0]}/" \
        -e "s/127.0.0.1:8082/127.0.0.1:${instance_ports[1]}/" \
        -e "s/127.0.0.1:8083/127.0.0.1:${instance_ports[2]}/" \
        "$root/deploy/haproxy.cfg" >"$state/haproxy.cfg"
    haproxy -f "$state/haproxy.cfg" -D -p "$run/haproxy.pid" >"$logs/haproxy.log" 2>&1
    wait_for 10 "HAProxy" curl -fsS "http://127.0.0.1:$haproxy_port/healthz"
    trap - EXIT
    print_summary
}

# Stops what a pidfile names: SIGTERM, then SIGKILL after 10 s.
stop_pidfile() {
    local file=$1 name=$2 pid
    pid=$(alive "$file") || { rm -f "$file"; return 0; }
    [ "${quiet:-}" ] || say "stopping $name ($pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    rm -f "$file"
}

stop_postgres() {
    local directory=$1 name=$2
    [ -f "$directory/postmaster.pid" ] || return 0
    alive "$directory/postmaster.pid" >/dev/null || return 0
    [ "${quiet:-}" ] || say "stopping $name"
    "${as_postgres[@]}" "$pgbin/pg_ctl" -D "$directory" -m fast -w stop >/dev/null 2>&1 || stop_pidfile "$directory/postmaster.pid" "$name"
}

down() {
    local quiet=${1:-}
    [ -d "$state" ] || { [ "$quiet" ] || say "nothing runs (no $state)"; return 0; }
    stop_pidfile "$run/haproxy.pid" HAProxy
    for name in doorman-1 doorman-2 doorman-3; do stop_pidfile "$run/$name.pid" "$name"; done
    for port in "${sentinel_ports[@]}"; do stop_pidfile "$run/sentinel-$port.pid" "sentinel $port"; done
    stop_pidfile "$run/redis-replica.pid" "Redis replica"
    stop_pidfile "$run/redis-master.pid" "Redis master"
    stop_pidfile "$run/pgbouncer.pid" PgBouncer
    stop_postgres "$state/pg-standby" "PostgreSQL standby"
    stop_postgres "$state/pg-primary" "PostgreSQL primary"
    [ "$quiet" ] || say "stopped (logs kept in $logs)"
}

status() {
    [ -d "$state" ] || { say "nothing runs (no $state)"; return 0; }
    local file name any=""
    for file in "$run"/*.pid "$state"/pg-*/postmaster.pid; do
        [ -f "$file" ] || continue
        any=1
        name=$(basename "$file" .pid); [ "$name" = postmaster ] && name=$(basename "$(dirname "$file")")
        if pid=$(alive "$file"); then echo "up    $name ($pid)"; else echo "down  $name"; fi
    done
    [ "$any" ] || say "nothing runs (stopped; logs in $logs)"
}

# A smoke check by hand (not in make test: it takes about 30 s and many servers).
smoke() {
    up
    trap 'status=$?; if [ "$status" -ne 0 ]; then down quiet; fi' EXIT
    urls
    local answered="" code instance fleet
    for _ in $(seq 12); do
        instance=$(curl -fsS -o /dev/null -D - -u john_doe:EXAMPLE_PASSWORD "http://127.0.0.1:$haproxy_port/products?limit=1" \
            | tr -d '\r' | sed -n 's/^[Xx]-[Dd]oorman-[Ii]nstance: //p') || die "smoke: a login through HAProxy failed"
        answered="$answered $instance"
    done
    for name in doorman-1 doorman-2 doorman-3; do
        grep -qw "$name" <<<"$answered" || die "smoke: $name answered no request through HAProxy ($answered)"
    done
    sleep 1.5
    fleet=$("$doorman" fleet --redis-url "$redis_url")
    for name in doorman-1 doorman-2 doorman-3; do
        grep -q "^$name " <<<"$fleet" || die "smoke: doorman fleet does not list $name:\n$fleet"
    done
    kill -9 "$(cat "$run/doorman-1.pid")"
    for _ in $(seq 6); do
        code=$(curl -s -o /dev/null -w '%{http_code}' -u john_doe:EXAMPLE_PASSWORD "http://127.0.0.1:$haproxy_port/products?limit=1")
        [ "$code" = 200 ] || die "smoke: a login through HAProxy answered $code with doorman-1 killed"
    done
    sleep 6
    "$doorman" fleet --redis-url "$redis_url" | grep -q '^doorman-1 ' && die "smoke: doorman-1 is still listed 6 s after it was killed"
    trap - EXIT
    down
    say "smoke: passed (HAProxy spread logins over 3 instances, doorman fleet listed them, a killed one left)"
}

case "${1:-up}" in
    up) up ;;
    smoke) smoke ;;
    down) down ;;
    status) status ;;
    *) echo "usage: scripts/cluster.sh up|down|status|smoke" >&2; exit 64 ;;
esac
