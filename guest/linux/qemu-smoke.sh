#!/usr/bin/env bash
# Smoke-test the guest built by build.sh on real QEMU (Debian's
# qemu-system-riscv64, `virt` board, OpenSBI as QEMU's default -bios).
#
# Cases:
#   initramfs-smp1  -kernel Image -initrd initramfs.cpio.gz
#   initramfs-smp2  the same with -smp 2 (checks the guest sees 2 CPUs)
#   ext4-root       root=/dev/vda rw on virtio-blk-device (virtio-mmio), using a
#                   scratch copy of rootfs.ext4; the guest writes a file, and
#                   we read it back from the image afterwards with debugfs
#
# Each case: start QEMU with its stdin on a FIFO, wait for the line
# "vtrace-guest: init reached" on the serial console and for init's next line
# and the shell's prompt after it (shell_started), then type a command
# line (`echo hello-from-guest; ...; poweroff -f`), and require that
# the guest printed `hello-from-guest` and QEMU exited with status 0 within
# the time limit. Times to the marker and to QEMU's exit are printed.
#
# Usage: guest/linux/qemu-smoke.sh [GUEST_DIR]
#   GUEST_DIR defaults to the output of build.sh (which builds if needed).
# Environment: SMOKE_TIMEOUT (seconds per case, default 60),
#              SMOKE_KEEP=1 keeps the temp dir with the console logs.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TIMEOUT=${SMOKE_TIMEOUT:-60}
MARKER='vtrace-guest: init reached'

log() { printf '[qemu-smoke] %s\n' "$*" >&2; }
die() { printf '[qemu-smoke] ERROR: %s\n' "$*" >&2; exit 1; }

# --- Inputs: the guest directory and a QEMU binary ---------------------------
if [ $# -ge 1 ]; then
    GUEST=$1
else
    GUEST=$(bash "$HERE/build.sh" | tail -n1)
fi
for f in Image initramfs.cpio.gz rootfs.ext4; do
    [ -f "$GUEST/$f" ] || die "$GUEST/$f missing (run guest/linux/build.sh)"
done

if ! command -v qemu-system-riscv64 >/dev/null; then
    [ "$(id -u)" = 0 ] || die "qemu-system-riscv64 missing: apt-get install qemu-system-misc"
    log "installing qemu-system-misc"
    DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends qemu-system-misc >&2
fi
log "$(qemu-system-riscv64 --version | head -n1)"

WORK=$(mktemp -d /tmp/vtrace-qemu-smoke.XXXXXX)
cleanup() {
    [ -n "${QPID:-}" ] && kill "$QPID" 2>/dev/null || true
    if [ "${SMOKE_KEEP:-0}" = 1 ]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

PASS=0
FAIL=0
RESULTS=()

# Has init printed its last line (the one after the marker, `vtrace-guest:
# root=...`) and started the shell (something follows that line: the prompt)?
# Only then is the command line typed: the tty echoes typed characters as they
# arrive, and an echo landing inside a line a case expects (the root= line)
# failed the -smp 2 case now and then.
shell_started() {
    tr -d '\r' < "$1" | awk '/^vtrace-guest: root=/ { seen = NR } END { exit !(seen && NR > seen) }'
}

# run_case NAME COMMAND_LINE EXPECT_REGEX... -- QEMU ARGS...
#   COMMAND_LINE is typed into the guest shell after the marker appears.
#   Each EXPECT_REGEX must match some line of the console log (grep -E).
run_case() {
    local name=$1 cmd=$2; shift 2
    local expects=() re
    while [ "$1" != -- ]; do expects+=("$1"); shift; done
    shift
    local logf="$WORK/$name.log" fifo="$WORK/$name.in"
    local t0 t_marker="" t_end rc=0 why=""

    log "case $name: qemu-system-riscv64 $*"
    mkfifo "$fifo"
    # Open the FIFO read-write on fd 4 first: that never blocks, and keeps a
    # writer alive so QEMU doesn't see EOF on its stdin.
    exec 4<>"$fifo"
    t0=$(now)
    qemu-system-riscv64 "$@" < "$fifo" > "$logf" 2>&1 &
    QPID=$!

    # Wait for the marker line (or QEMU dying, or the time limit).
    while :; do
        if [ -z "$t_marker" ] && grep -q "$MARKER" "$logf" 2>/dev/null; then t_marker=$(now); fi
        if [ -n "$t_marker" ] && shell_started "$logf"; then break; fi
        kill -0 "$QPID" 2>/dev/null || { why="QEMU exited before the marker"; break; }
        [ "$(elapsed "$t0" "$(now)" | cut -d. -f1)" -lt "$TIMEOUT" ] || { why="no marker after ${TIMEOUT}s"; break; }
        sleep 0.02
    done

    if [ -z "$why" ]; then
        # Type the command line on the guest's serial console.
        printf '%s\n' "$cmd" >&4
        # Wait for QEMU to exit (poweroff), up to the time limit.
        while kill -0 "$QPID" 2>/dev/null; do
            if [ "$(elapsed "$t0" "$(now)" | cut -d. -f1)" -ge "$TIMEOUT" ]; then
                why="QEMU still running after ${TIMEOUT}s"; kill "$QPID" 2>/dev/null || true; break
            fi
            sleep 0.02
        done
    else
        kill "$QPID" 2>/dev/null || true
    fi
    wait "$QPID" || rc=$?
    QPID=""
    t_end=$(now)
    exec 4>&-

    if [ -z "$why" ] && [ "$rc" != 0 ]; then why="QEMU exit status $rc"; fi
    # `tr -d '\r'`: the serial console ends lines with CR LF.
    for re in "${expects[@]}"; do
        if [ -z "$why" ] && ! tr -d '\r' < "$logf" | grep -qE "$re"; then
            why="console output lacks /$re/"
        fi
    done

    local timing="marker n/a"
    [ -z "$t_marker" ] || timing="marker $(elapsed "$t0" "$t_marker")s"
    timing="$timing, exit $(elapsed "$t0" "$t_end")s"
    if [ -z "$why" ]; then
        PASS=$((PASS + 1)); RESULTS+=("PASS $name ($timing)")
        log "case $name: PASS ($timing)"
    else
        FAIL=$((FAIL + 1)); RESULTS+=("FAIL $name: $why ($timing)")
        log "case $name: FAIL: $why ($timing); last console lines:"
        tail -n 25 "$logf" | sed 's/^/    | /' >&2
    fi
}

COMMON=(-M virt -m 256M -nographic -kernel "$GUEST/Image")

# 1. initramfs, one hart.
run_case initramfs-smp1 'echo hello-from-guest; poweroff -f' \
    '^hello-from-guest$' -- \
    "${COMMON[@]}" -initrd "$GUEST/initramfs.cpio.gz" -append "console=ttyS0"

# 2. initramfs, two harts: the init script reports cpus=N on the line after
#    the marker; also ask the shell for the online CPU mask.
run_case initramfs-smp2 'echo hello-from-guest; cat /sys/devices/system/cpu/online; poweroff -f' \
    '^hello-from-guest$' '^vtrace-guest: root=rootfs cpus=2 ' '^0-1$' -- \
    "${COMMON[@]}" -smp 2 -initrd "$GUEST/initramfs.cpio.gz" -append "console=ttyS0"

# 3. ext4 root on virtio-blk-device (virtio-mmio), on a scratch copy so the
#    cached image stays pristine. The guest writes a file; we check it after.
cp "$GUEST/rootfs.ext4" "$WORK/rootfs.ext4"
run_case ext4-root 'echo hello-from-guest; echo written-by-guest > /root/smoke.txt; sync; poweroff -f' \
    '^hello-from-guest$' '^vtrace-guest: root=ext4 ' -- \
    "${COMMON[@]}" -append "console=ttyS0 root=/dev/vda rw" \
    -drive "file=$WORK/rootfs.ext4,format=raw,id=hd0,if=none" -device virtio-blk-device,drive=hd0
if [ "${RESULTS[-1]%% *}" = PASS ]; then
    got=$(debugfs -R 'cat /root/smoke.txt' "$WORK/rootfs.ext4" 2>/dev/null || true)
    if [ "$got" = written-by-guest ]; then
        log "ext4-root: file written by the guest reads back from the image"
    else
        FAIL=$((FAIL + 1)); RESULTS+=("FAIL ext4-root-writeback: /root/smoke.txt = '$got'")
        log "ext4-root: FAIL: /root/smoke.txt not found in the image after poweroff"
    fi
fi

printf '%s\n' "${RESULTS[@]}"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
