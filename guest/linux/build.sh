#!/usr/bin/env bash
# Build the vtrace riscv64 Linux guest from Debian packages.
#
# Outputs (all in one cache directory, see "Cache layout" below):
#   Image               kernel image to pass to -kernel (Linux 6.1, linux-source-6.1)
#   vmlinux             the same kernel as an ELF with DWARF 4 debug info (for gdb)
#   System.map          kernel symbol table
#   kernel.config       the final kernel .config
#   busybox             static riscv64 busybox (Debian's busybox source)
#   busybox.config      busybox's final .config
#   initramfs.cpio.gz   newc cpio + gzip; /init mounts proc/sys/dev, prints the
#                       marker, runs a shell on the console, powers off after
#   rootfs.ext4         64 MiB ext4 image with the same userland; /sbin/init is
#                       the same script (boot with root=/dev/vda rw)
#   manifest.txt        versions of everything that went in, sizes, sha256s
#
# Usage:
#   guest/linux/build.sh              build if needed; last stdout line = output dir
#   guest/linux/build.sh --print-dir  only print the output dir (no build, no deps)
#   guest/linux/build.sh --force      rebuild even if the cache is complete
#
# Everything except the final directory path goes to stderr, so callers can do
#   dir=$(guest/linux/build.sh | tail -n1)
#
# Cache layout:
#   ${VTRACE_GUEST_CACHE:-$HOME/.cache/vtrace/guest}/<hash>/
# where <hash> is the first 16 hex digits of a sha256 over the names and
# contents of the recipe files (RECIPE_FILES below). Any change to the recipe
# gives a new directory, so it is rebuilt. The stamp file `done.stamp` is
# written last: a directory without it is an interrupted build and is redone
# from scratch. Debian package versions are NOT part of the hash (so that
# --print-dir works before anything is installed); they are recorded in
# manifest.txt instead.
#
# Needs: Debian 12 (bookworm), root to install missing build dependencies and
# to add deb-src entries if there are none. Works without stdin (CI=true).
#
# Environment knobs:
#   VTRACE_GUEST_CACHE       cache root (default $HOME/.cache/vtrace/guest)
#   VTRACE_GUEST_KEEP_BUILD  set to 1 to keep the build tree (<dir>/build) for
#                            debugging; by default it is deleted on success
#   VTRACE_GUEST_JOBS        make -j value (default: nproc)

set -euo pipefail

# All chatter goes to stderr; fd 3 keeps the real stdout for the final path.
exec 3>&1 1>&2

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Files whose contents determine the outputs. Add any new recipe input here.
RECIPE_FILES=(build.sh vtrace.config busybox.config init.sh)

CACHE_ROOT=${VTRACE_GUEST_CACHE:-${HOME:-/root}/.cache/vtrace/guest}
STAMP_NAME=done.stamp
JOBS=${VTRACE_GUEST_JOBS:-$(nproc)}

log() { printf '[guest-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[guest-build] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'printf "[guest-build] FAILED at line %s: %s\n" "$LINENO" "$BASH_COMMAND" >&2' ERR

# ---------------------------------------------------------------------------
# Cache key: sha256 over "name  sha256(content)" of each recipe file, in the
# fixed order above. Only coreutils needed, so --print-dir is instant.
# ---------------------------------------------------------------------------
recipe_hash() {
    local f
    for f in "${RECIPE_FILES[@]}"; do
        [ -f "$HERE/$f" ] || die "recipe file missing: $HERE/$f"
        printf '%s  %s\n' "$f" "$(sha256sum < "$HERE/$f" | cut -d' ' -f1)"
    done | sha256sum | cut -c1-16
}

HASH=$(recipe_hash)
OUT="$CACHE_ROOT/$HASH"

FORCE=0
case "${1:-}" in
    --print-dir) echo "$OUT" >&3; exit 0 ;;
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ; exit 0 ;;
    "") ;;
    *) die "unknown argument: $1 (try --help)" ;;
esac

# Fast path: a complete build is already cached.
if [ "$FORCE" = 0 ] && [ -f "$OUT/$STAMP_NAME" ]; then
    echo "$OUT" >&3
    exit 0
fi

# Serialise concurrent builds of the same recipe (e.g. parallel test workers):
# the second one waits, then finds the stamp and returns.
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/$HASH.lock"
if ! flock -n 9; then
    log "another build of $HASH is running; waiting for it"
    flock 9
fi
if [ "$FORCE" = 0 ] && [ -f "$OUT/$STAMP_NAME" ]; then
    echo "$OUT" >&3
    exit 0
fi

T_START=$(date +%s)
log "building guest into $OUT (jobs=$JOBS)"

# ---------------------------------------------------------------------------
# Step 1: build dependencies from Debian. Installed only when missing.
# libc6-dev-riscv64-cross is only a Recommends of the cross gcc, so it is
# listed explicitly (static busybox links against it).
# ---------------------------------------------------------------------------
DEPS=(
    make gcc libc6-dev                     # host compiler for kbuild/busybox host tools
    gcc-riscv64-linux-gnu libc6-dev-riscv64-cross binutils-riscv64-linux-gnu
    linux-source-6.1                       # /usr/src/linux-source-6.1.tar.xz
    bc flex bison libssl-dev libelf-dev    # kernel build tools
    dpkg-dev                               # dpkg-source, used by `apt-get source`
    cpio gzip xz-utils e2fsprogs file      # packing the initramfs / ext4 image
)

export DEBIAN_FRONTEND=noninteractive
# Wait (up to 10 min) for someone else's apt/dpkg run instead of failing.
APT=(apt-get -q -o DPkg::Lock::Timeout=600)

missing_pkgs() {
    local p st
    for p in "$@"; do
        st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [ "$st" = installed ] || printf '%s\n' "$p"
    done
}

APT_UPDATED=0
apt_update_once() {
    [ "$APT_UPDATED" = 1 ] && return 0
    log "apt-get update"
    "${APT[@]}" update >&2
    APT_UPDATED=1
}

need_root() {
    [ "$(id -u)" = 0 ] || die "$1 (needs root; run as root or do it by hand)"
}

mapfile -t MISSING < <(missing_pkgs "${DEPS[@]}")
if [ "${#MISSING[@]}" -gt 0 ]; then
    need_root "missing packages: ${MISSING[*]}"
    apt_update_once
    log "installing: ${MISSING[*]}"
    "${APT[@]}" install -y --no-install-recommends "${MISSING[@]}" >&2
fi

KSRC_TAR=/usr/src/linux-source-6.1.tar.xz
[ -f "$KSRC_TAR" ] || die "$KSRC_TAR not found even though linux-source-6.1 is installed"
command -v riscv64-linux-gnu-gcc >/dev/null || die "riscv64-linux-gnu-gcc not on PATH"

# ---------------------------------------------------------------------------
# Step 2: make sure `apt-get source` works: it needs deb-src entries. If the
# machine has none, add them by copying this release's existing `deb` entries
# (same mirror, suites, components and keys) with the type changed to deb-src.
# ---------------------------------------------------------------------------
have_deb_src() {
    apt-get indextargets --format '$(IDENTIFIER)' 2>/dev/null | grep -qx Sources
}

add_deb_src() {
    need_root "no deb-src entries in the apt sources"
    local codename f
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [ -n "$codename" ] || die "cannot tell the Debian codename from /etc/os-release"

    # deb822 files (*.sources): copy each stanza whose Types has `deb` and whose
    # Suites mention this release, with `Types: deb-src`.
    local out822=/etc/apt/sources.list.d/vtrace-deb-src.sources
    local tmp; tmp=$(mktemp)
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && [ "$f" != "$out822" ] || continue
        awk -v rel="$codename" '
            function flush() {
                if (stanza != "" && isdeb && hasrel && enabled)
                    printf "%s\n", stanza
                stanza = ""; isdeb = 0; hasrel = 0; enabled = 1
            }
            BEGIN { enabled = 1 }
            /^[[:space:]]*$/ { flush(); next }
            /^#/ { next }
            /^Types:/ {
                if ($0 ~ /(^Types:|[[:space:]])deb([[:space:]]|$)/) isdeb = 1
                stanza = stanza "Types: deb-src\n"; next
            }
            /^Suites:/ { if (index($0, rel) > 0) hasrel = 1 }
            /^Enabled:[[:space:]]*no/ { enabled = 0 }
            { stanza = stanza $0 "\n" }
            END { flush() }
        ' "$f" >> "$tmp"
    done
    if [ -s "$tmp" ]; then
        { echo "# Added by vtrace guest/linux/build.sh for \`apt-get source busybox\`."
          cat "$tmp"; } > "$out822"
        log "added deb-src entries: $out822"
    fi
    rm -f "$tmp"

    # One-line format (sources.list, *.list): `deb [opts] URI SUITE COMPONENTS`.
    local outlist=/etc/apt/sources.list.d/vtrace-deb-src.list
    local lines
    lines=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | grep -E "^deb[[:space:]].*[[:space:]]${codename}([-/][^[:space:]]*)?[[:space:]]" \
        | sed 's/^deb[[:space:]]/deb-src /' || true)
    if [ -n "$lines" ]; then
        { echo "# Added by vtrace guest/linux/build.sh for \`apt-get source busybox\`."
          echo "$lines"; } > "$outlist"
        log "added deb-src entries: $outlist"
    fi

    [ -s "$out822" ] || [ -s "$outlist" ] ||
        die "found no '$codename' deb entries to derive deb-src entries from; add deb-src lines by hand"
    APT_UPDATED=0
}

if ! have_deb_src; then
    add_deb_src
    apt_update_once
fi

# ---------------------------------------------------------------------------
# Fresh output directory: anything there without a stamp is a leftover of an
# interrupted build, so start over.
# ---------------------------------------------------------------------------
rm -rf "$OUT"
mkdir -p "$OUT"
B="$OUT/build"
mkdir -p "$B"

# ---------------------------------------------------------------------------
# Step 3: kernel. Unpack Debian's linux-source-6.1 tarball, configure
# tinyconfig + our fragment out of tree, check the fragment stuck, build Image.
# ---------------------------------------------------------------------------
log "unpacking $KSRC_TAR"
tar -C "$B" -xf "$KSRC_TAR"
KSRC=$(echo "$B"/linux-source-6.1)
[ -f "$KSRC/Makefile" ] || die "unexpected layout of $KSRC_TAR"
KOBJ="$B/kobj"
mkdir -p "$KOBJ"

# Fixed build metadata so identical inputs give the same `uname -v`: the
# build "time" is the source tarball's mtime (it must be a date(1) string).
KTIME=$(LC_ALL=C date -u -d "@$(stat -c %Y "$KSRC_TAR")" '+%a %b %e %H:%M:%S UTC %Y')
KMAKE=(make -C "$KSRC" O="$KOBJ" ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-
       KBUILD_BUILD_USER=vtrace KBUILD_BUILD_HOST=vtrace
       KBUILD_BUILD_TIMESTAMP="$KTIME")

log "kernel: tinyconfig + vtrace.config"
"${KMAKE[@]}" -s tinyconfig >&2
# merge_config.sh writes temp files into the current directory.
(cd "$KOBJ" && "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KOBJ" "$KOBJ/.config" "$HERE/vtrace.config" >&2)
"${KMAKE[@]}" -s olddefconfig >&2

# Verify: `CONFIG_X=v` lines must appear verbatim in .config; `# CONFIG_X is
# not set` lines must have no `CONFIG_X=` line. Kconfig silently drops values
# whose dependencies are unmet, so this is where a bad fragment gets caught.
verify_config() {   # verify_config FRAGMENT DOTCONFIG WHAT
    local frag=$1 cfg=$2 what=$3 line sym bad=0
    while IFS= read -r line; do
        if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
            if ! grep -qxF -- "$line" "$cfg"; then
                sym=${BASH_REMATCH[1]}
                log "$what config: wanted '$line', got '$(grep -E "^($sym=|# $sym is not set)" "$cfg" || echo "(absent: dependencies not met)")'"
                bad=1
            fi
        elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
            sym=${BASH_REMATCH[1]}
            if grep -qE "^$sym=" "$cfg"; then
                log "$what config: wanted '$sym' off, got '$(grep -E "^$sym=" "$cfg")'"
                bad=1
            fi
        fi
    done < "$frag"
    [ "$bad" = 0 ] || die "$what config fragment $frag did not stick (see above)"
    log "$what config: every option in $(basename "$frag") is as requested"
}
verify_config "$HERE/vtrace.config" "$KOBJ/.config" kernel

log "kernel: make -j$JOBS Image (the longest step, a few minutes)"
"${KMAKE[@]}" -s -j"$JOBS" Image >&2
cp "$KOBJ/arch/riscv/boot/Image" "$OUT/Image"
cp "$KOBJ/vmlinux" "$OUT/vmlinux"
cp "$KOBJ/System.map" "$OUT/System.map"
cp "$KOBJ/.config" "$OUT/kernel.config"
KVER=$(cat "$KOBJ/include/config/kernel.release")
log "kernel $KVER done: Image $(stat -c %s "$OUT/Image") bytes"

# ---------------------------------------------------------------------------
# Step 4: busybox from Debian's source package, static, riscv64.
# defconfig + busybox.config (CONFIG_STATIC=y and anything we switch off).
# ---------------------------------------------------------------------------
log "busybox: apt-get source busybox"
(cd "$B" && "${APT[@]}" source busybox >&2) ||
    { apt_update_once; (cd "$B" && "${APT[@]}" source busybox >&2); }
BBSRC=$(find "$B" -maxdepth 1 -type d -name 'busybox-*' | head -n1)
[ -n "$BBSRC" ] && [ -f "$BBSRC/Makefile" ] || die "apt-get source busybox gave no source tree"
BBVER=$(cd "$BBSRC" && dpkg-parsechangelog -S Version 2>/dev/null || basename "$BBSRC")
BBOBJ="$B/bbobj"
mkdir -p "$BBOBJ"
BBMAKE=(make -C "$BBSRC" O="$BBOBJ" CROSS_COMPILE=riscv64-linux-gnu- ARCH=riscv)

log "busybox $BBVER: defconfig + busybox.config"
"${BBMAKE[@]}" -s defconfig >&2
# Apply each fragment line: replace the symbol's existing line, else append.
while IFS= read -r line; do
    if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)= ]] || [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
        sym=${BASH_REMATCH[1]}
        sed -i -E "/^($sym=|# $sym is not set$)/d" "$BBOBJ/.config"
        printf '%s\n' "$line" >> "$BBOBJ/.config"
    fi
done < "$HERE/busybox.config"
# busybox's kconfig has no olddefconfig; oldconfig only prompts for symbols it
# has not seen, and we feed it empty answers (= defaults) just in case.
(yes '' || true) | "${BBMAKE[@]}" -s oldconfig >/dev/null
verify_config "$HERE/busybox.config" "$BBOBJ/.config" busybox

log "busybox: make -j$JOBS"
"${BBMAKE[@]}" -s -j"$JOBS" busybox >&2
"${BBMAKE[@]}" -s busybox.links >&2
BBIN="$BBOBJ/busybox"
file -b "$BBIN" | grep -q 'RISC-V' || die "busybox is not a RISC-V binary: $(file -b "$BBIN")"
file -b "$BBIN" | grep -q 'statically linked' || die "busybox is not static: $(file -b "$BBIN")"
cp "$BBIN" "$OUT/busybox"
cp "$BBOBJ/.config" "$OUT/busybox.config"
log "busybox done: $(stat -c %s "$OUT/busybox") bytes, $(wc -l < "$BBOBJ/busybox.links") applets"

# ---------------------------------------------------------------------------
# Step 5: staging tree shared by the initramfs and the ext4 root.
# /bin/busybox plus one symlink per applet (from busybox.links; we cannot run
# the riscv64 binary here to `busybox --install`). No device nodes: /init
# mounts devtmpfs itself, and the kernel's built-in initramfs already provides
# /dev/console for init's first stdin/stdout.
# ---------------------------------------------------------------------------
make_staging() {   # make_staging DIR
    local s=$1 link dir rel
    mkdir -p "$s"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc,mnt,var/log}
    chmod 1777 "$s/tmp"
    chmod 700 "$s/root"
    install -m 755 "$OUT/busybox" "$s/bin/busybox"
    while IFS= read -r link; do
        [ "$link" = /bin/busybox ] && continue
        dir=$(dirname "$link")
        mkdir -p "$s$dir"
        # Relative link back to /bin/busybox, e.g. /usr/sbin/x -> ../../bin/busybox.
        # Computed by hand: realpath would follow the host's own /bin -> usr/bin.
        if [ "$dir" = /bin ]; then
            rel=busybox
        else
            rel=$(printf '%s' "$dir" | sed -e 's|^/||' -e 's|[^/]*|..|g')/bin/busybox
        fi
        ln -sfn "$rel" "$s$link"
    done < "$BBOBJ/busybox.links"
    install -m 755 "$HERE/init.sh" "$s/init"
    printf 'root:x:0:0:root:/root:/bin/sh\n' > "$s/etc/passwd"
    printf 'root:x:0:\n' > "$s/etc/group"
    printf 'vtrace\n' > "$s/etc/hostname"
}

STAGE="$B/staging"
make_staging "$STAGE"

# initramfs: newc cpio, every file owned by root (-R 0:0), sorted for a stable
# order, gzip -n so the timestamp of the build doesn't go into the header.
log "packing initramfs.cpio.gz"
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) \
    | gzip -9 -n > "$OUT/initramfs.cpio.gz"

# ext4 root: same tree; /sbin/init (a busybox link in the staging tree) points
# at the same init script instead, so both boots behave alike.
log "making rootfs.ext4"
ROOTSTAGE="$B/rootstaging"
cp -a "$STAGE" "$ROOTSTAGE"
ln -sfn ../init "$ROOTSTAGE/sbin/init"
mkfs.ext4 -q -F -L vtrace-root -b 4096 -E root_owner=0:0 -d "$ROOTSTAGE" "$OUT/rootfs.ext4" 64M >&2

# ---------------------------------------------------------------------------
# Step 6: manifest, clean up, stamp (last!), print the directory.
# ---------------------------------------------------------------------------
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '?'; }
{
    echo "recipe_hash: $HASH"
    for f in "${RECIPE_FILES[@]}"; do echo "recipe_file: $f $(sha256sum < "$HERE/$f" | cut -d' ' -f1)"; done
    echo "built_at: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "build_seconds: $(( $(date +%s) - T_START ))"
    echo "kernel_release: $KVER"
    echo "linux-source-6.1: $(pkgver linux-source-6.1)"
    echo "busybox_source: $BBVER"
    echo "gcc-riscv64-linux-gnu: $(pkgver gcc-riscv64-linux-gnu)"
    echo "libc6-dev-riscv64-cross: $(pkgver libc6-dev-riscv64-cross)"
    echo "e2fsprogs: $(pkgver e2fsprogs)"
    echo "files:"
    (cd "$OUT" && for f in Image vmlinux System.map kernel.config busybox busybox.config initramfs.cpio.gz rootfs.ext4; do
        printf '  %-18s %10s  %s\n' "$f" "$(stat -c %s "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
    done)
} > "$OUT/manifest.txt"

if [ "${VTRACE_GUEST_KEEP_BUILD:-0}" != 1 ]; then
    rm -rf "$B"
fi

date -u +%Y-%m-%dT%H:%M:%SZ > "$OUT/$STAMP_NAME"
log "done in $(( $(date +%s) - T_START ))s"
echo "$OUT" >&3
