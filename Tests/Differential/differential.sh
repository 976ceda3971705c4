#!/bin/bash
# Differential protocol test: the stock XRootD server and beryl-mgm answer one scripted sequence of
# xrdfs operations, compared step by step (docs/RELIABILITY.md, "Differential tests").
#
#   Tests/Differential/differential.sh BERYL_MGM SCRATCH_DIR [-v]
#   Tests/Differential/differential.sh --print-config DIR PORT
#
# Starts the stock `xrootd` (Debian xrootd-server) on SCRATCH_DIR/stock/data, as `nobody` when run as
# root (it refuses to run as root), and `beryl-mgm serve` on SCRATCH_DIR/beryl (tagged master), each
# on a free 127.0.0.1 port; then differential.py drives both with libXrdCl (the Python bindings, one
# client per server, no xrdfs process per command) and prints a table command / stock / beryl /
# verdict. The intended differences, each with its reason, are the INTENDED table of differential.py.
#
# Exit status: 0 all steps agree or differ only as intended; 1 an unintended difference; 2 the
# servers or tools could not be started. As root, SCRATCH_DIR is made world-searchable (0755) so
# that `nobody` reaches its export folder. The servers are stopped and their folders removed on exit
# (the logs are printed first when the run failed).
set -u

here=$(cd "$(dirname "$0")" && pwd)

# The configuration of the stock-server tests (stockXRootDConfiguration in Tests/Support; the Swift
# test DifferentialTests checks that the two are the same text).
stock_config() { # DIR PORT
    cat <<EOF
all.export /
oss.localroot $1/data
xrd.port $2
all.adminpath $1/admin
all.pidpath $1/admin
xrd.network nodnr
xrd.allow host 127.0.0.1
EOF
}

if [ "${1:-}" = "--print-config" ]; then
    stock_config "$2" "$3"
    exit 0
fi

if [ $# -lt 2 ]; then
    echo "usage: $0 BERYL_MGM SCRATCH_DIR [-v]" >&2
    exit 2
fi
mgm=$1
scratch=$(cd "$2" && pwd) || exit 2
shift 2
python=/usr/bin/python3 # the system Python: python3-xrootd installs the bindings there
xrootd=$(command -v xrootd || true)

[ -x "$mgm" ] || { echo "beryl-mgm not found at $mgm" >&2; exit 2; }
[ -n "$xrootd" ] || { echo "xrootd (Debian xrootd-server) is not installed" >&2; exit 2; }
"$python" -c 'from XRootD import client' 2>/dev/null || { echo "python3-xrootd is not installed" >&2; exit 2; }

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

stock=$scratch/stock
beryl=$scratch/beryl
stock_pid=""
mgm_pid=""
status=2

cleanup() {
    [ -z "$stock_pid" ] && [ -s "$stock/admin/xrootd.pid" ] && stock_pid=$(tr -dc 0-9 <"$stock/admin/xrootd.pid")
    [ -n "$mgm_pid" ] && kill "$mgm_pid" 2>/dev/null
    [ -n "$stock_pid" ] && kill "$stock_pid" 2>/dev/null
    for _ in $(seq 50); do
        alive=""
        [ -n "$mgm_pid" ] && kill -0 "$mgm_pid" 2>/dev/null && alive=1
        [ -n "$stock_pid" ] && kill -0 "$stock_pid" 2>/dev/null && alive=1
        [ -z "$alive" ] && break
        sleep 0.1
    done
    [ -n "$mgm_pid" ] && kill -9 "$mgm_pid" 2>/dev/null
    [ -n "$stock_pid" ] && kill -9 "$stock_pid" 2>/dev/null
    if [ "$status" != 0 ]; then
        echo "--- stock xrootd log (last 20 lines)"; tail -n 20 "$stock/xrootd.log" 2>/dev/null
        echo "--- beryl-mgm log (last 20 lines)"; tail -n 20 "$scratch/beryl-mgm.log" 2>/dev/null
    fi
    rm -rf "$stock" "$beryl" "$scratch/beryl-mgm.log"
}
trap cleanup EXIT

# --- the stock server
rm -rf "$stock" "$beryl"
mkdir -p "$stock/data" "$stock/admin"
stock_port=$(free_port)
stock_config "$stock" "$stock_port" >"$stock/xrootd.cfg"
launch="$xrootd -b -c $stock/xrootd.cfg -l $stock/xrootd.log"
if [ "$(id -u)" = 0 ]; then
    chmod 755 "$scratch"
    chown -R nobody "$stock"
    su nobody -s /bin/sh -c "$launch" >/dev/null 2>&1 || { echo "cannot start xrootd as nobody" >&2; exit 2; }
else
    $launch >/dev/null 2>&1 || { echo "cannot start xrootd" >&2; exit 2; }
fi

# --- beryl-mgm
mkdir -p "$beryl"
"$mgm" tag master --data "$beryl" >/dev/null || exit 2
beryl_port=$(free_port)
"$mgm" serve --data "$beryl" --listen "127.0.0.1:$beryl_port" >"$scratch/beryl-mgm.log" 2>&1 &
mgm_pid=$!

# --- wait (bounded: 10 s) for both ports and the stock server's pid file
for _ in $(seq 100); do
    [ -z "$stock_pid" ] && [ -s "$stock/admin/xrootd.pid" ] && stock_pid=$(tr -dc 0-9 <"$stock/admin/xrootd.pid")
    [ -n "$stock_pid" ] && listening "$stock_port" && listening "$beryl_port" && break
    sleep 0.1
done
listening "$stock_port" || { echo "xrootd did not come up on port $stock_port" >&2; exit 2; }
listening "$beryl_port" || { echo "beryl-mgm did not come up on port $beryl_port" >&2; exit 2; }

# --- the sequence, against both, and the comparison
timeout 120 "$python" "$here/differential.py" "$stock_port" "$beryl_port" "$@"
status=$?
exit $status
