#!/usr/bin/env bash
# A real one-node SLURM cluster on this machine, for tests/test_slurm.py (and for trying profiles/slurm by hand).
#
#   tests/slurm/cluster.sh start    write slurm.conf and gres.conf to /etc/slurm, start munged, slurmctld and
#                                   slurmd -N localhost, wait until the node is idle
#   tests/slurm/cluster.sh stop     cancel every job, stop exactly the daemons that `start` started (by pid file)
#   tests/slurm/cluster.sh status   sinfo and squeue
#
# Needs root and the Debian packages slurmctld slurmd slurm-client munge (tests/system-deps.sh installs them); it
# installs nothing itself. No systemd: the daemons are started by hand, in the order munge, slurmctld, slurmd.
# A munged that is already running is used and left running. Details and pitfalls:
# ../shared/notes/slurm-single-node.md (beside the repository) and profiles/slurm/config.yaml.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=/run/weightdist-slurm          # what `start` started: "pid-file program" per line in $STATE/started
MARK="# weightdist test cluster"     # the first line of the slurm.conf we write; we never overwrite another one
CONF_DIR=/etc/slurm
WAIT_S=${CLUSTER_WAIT_S:-60}

die() { echo "cluster.sh: $*" >&2; exit 1; }

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

started() { mkdir -p "$STATE"; echo "$1 $2" >>"$STATE/started"; }

check_requirements() {
    [ "$(id -u)" -eq 0 ] || die "must run as root (the daemons run as root/munge on this one-node cluster)"
    local missing=()
    for cmd in munged munge unmunge slurmctld slurmd sinfo squeue sbatch scancel scontrol; do
        command -v "$cmd" >/dev/null || missing+=("$cmd")
    done
    [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}; install the packages with tests/system-deps.sh" \
        "(apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge)"
}

write_config() {
    if [ -f "$CONF_DIR/slurm.conf" ] && ! head -n1 "$CONF_DIR/slurm.conf" | grep -qF "$MARK"; then
        die "$CONF_DIR/slurm.conf exists and was not written by this script; not overwriting it"
    fi
    install -d "$CONF_DIR" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
    { echo "$MARK (tests/slurm/cluster.sh; template tests/slurm/slurm.conf)"; cat "$HERE/slurm.conf"; } \
        >"$CONF_DIR/slurm.conf"
    { echo "$MARK (tests/slurm/cluster.sh; template tests/slurm/gres.conf)"; cat "$HERE/gres.conf"; } \
        >"$CONF_DIR/gres.conf"
}

start_munge() {
    if alive /run/munge/munged.pid; then
        echo "munged already running (pid $(cat /run/munge/munged.pid)); using it"
    else
        if [ ! -s /etc/munge/munge.key ]; then
            mungekey --create --keyfile=/etc/munge/munge.key
        fi
        chown munge:munge /etc/munge/munge.key
        chmod 400 /etc/munge/munge.key
        install -d -o munge -g munge -m 755 /run/munge
        install -d -o munge -g munge -m 700 /var/lib/munge /var/log/munge
        runuser -u munge -- /usr/sbin/munged
        started /run/munge/munged.pid munged
    fi
    munge -n | unmunge >/dev/null || die "munge does not work (munge -n | unmunge failed)"
}

start() {
    check_requirements
    if alive /run/slurmctld.pid || alive /run/slurmd.pid; then
        die "slurmctld or slurmd is already running (see /run/slurmctld.pid, /run/slurmd.pid); stop it first"
    fi
    rm -f "$STATE/started"
    # on any failure from here on (set -e, die), stop the daemons this call started
    trap 'rc=$?; if [ $rc -ne 0 ]; then echo "cluster.sh: start failed; stopping what it started" >&2; stop; fi' EXIT
    local t0=$SECONDS
    write_config
    start_munge
    slurmctld -c          # -c: a clean start, no jobs recovered from an earlier run
    started /run/slurmctld.pid slurmctld
    slurmd -N localhost   # -N: the node name does not depend on the machine's hostname
    started /run/slurmd.pid slurmd
    local state=""
    for _ in $(seq $((WAIT_S * 2))); do
        state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
        [ "$state" = idle ] && break
        sleep 0.5
    done
    if [ "$state" != idle ]; then
        echo "node state: '${state}'" >&2
        sinfo -R >&2 || true
        tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
        die "the node did not become idle within $WAIT_S s"    # -> the EXIT trap stops the daemons
    fi
    trap - EXIT
    echo "cluster up in $((SECONDS - t0)) s: node localhost idle"
}

stop_pidfile() {
    local pidfile=$1 program=$2 pid
    alive "$pidfile" || return 0
    pid=$(cat "$pidfile")
    # a stale pid file may name a process that is not ours any more
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$program" ] || return 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 40); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.25
    done
    echo "cluster.sh: pid $pid ($pidfile) ignored SIGTERM for 10 s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

stop() {
    if alive /run/slurmctld.pid; then
        scancel --user="$(id -un)" 2>/dev/null || true
        # give slurmd a moment to kill the cancelled jobs' processes
        for _ in $(seq 20); do
            [ -z "$(squeue -h -t running,completing -o %i 2>/dev/null)" ] && break
            sleep 0.5
        done
    fi
    [ -f "$STATE/started" ] || { echo "cluster.sh: nothing started by this script is running"; return 0; }
    # in reverse order of starting: slurmd, slurmctld, munged
    tac "$STATE/started" | while read -r pidfile program; do stop_pidfile "$pidfile" "$program"; done
    rm -f "$STATE/started"
    echo "cluster stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) sinfo; squeue ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
