#!/bin/sh
# vtrace guest init (PID 1). The same script is /init in initramfs.cpio.gz and
# /sbin/init (-> /init) on rootfs.ext4, so both boots behave the same:
#   1. mount proc, sysfs, devtmpfs (and a tmpfs on /tmp),
#   2. print the marker line "vtrace-guest: init reached" that tests wait for,
#   3. run an interactive busybox shell on the console, reading commands from
#      the serial port (tests type e.g. `echo hi; poweroff -f`),
#   4. power the machine off when that shell exits.
# It runs under busybox sh; keep it POSIX sh.

export PATH=/sbin:/usr/sbin:/bin:/usr/bin
export HOME=/root
# ash saves history under $HOME by default; keep it in RAM so that a session
# does not write to the root disk by itself.
export HISTFILE=/tmp/.ash_history

mount -t proc proc /proc
mount -t sysfs sysfs /sys
# The kernel's DEVTMPFS_MOUNT only applies to a disk root; in the initramfs we
# mount devtmpfs ourselves. Skip it if /dev is already devtmpfs.
grep -q '^[^ ]* /dev devtmpfs ' /proc/mounts || mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=1777 tmpfs /tmp
hostname -F /etc/hostname 2>/dev/null

# What are we running on? (rootfs = initramfs; ext4 = the virtio-blk root.)
rootfstype=$(awk '$2 == "/" { t = $3 } END { print t }' /proc/mounts)
ncpus=$(grep -c '^processor' /proc/cpuinfo)

echo "vtrace-guest: init reached"
echo "vtrace-guest: root=$rootfstype cpus=$ncpus kernel=$(uname -r)"

# Interactive shell on the console. setsid + cttyhack give it the console as
# its controlling tty, so job control and Ctrl-C work; it reads stdin, which
# is the serial console.
setsid cttyhack sh

# The shell is gone (exit or EOF): power off. `poweroff -f` syncs and calls
# reboot(2) directly. If it somehow fails, don't let PID 1 exit (that would
# be a kernel panic); say so and idle.
echo "vtrace-guest: shell exited, powering off"
poweroff -f
echo "vtrace-guest: poweroff failed" >&2
while :; do sleep 3600; done
