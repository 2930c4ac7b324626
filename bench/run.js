#!/usr/bin/env node
/**
 * `npm run bench`: vtrace side by side with qemu-system-riscv64 (TCG) on this machine, in this run.
 * Every figure is printed with QEMU's and the ratio vtrace/QEMU (lower is better; 1.0 = as fast).
 *
 *   boot    Linux from the recipe's initramfs to init, then `poweroff -f` (wall time to exit)
 *   sha256  in that guest: `dd if=/dev/zero bs=1M count=16 | sha256sum` (wall time of the command)
 *   dd      boot plus `dd if=/dev/vda of=/dev/null bs=64k count=512` (the recipe's ext4 image on
 *           virtio-blk-device, read-only): wall time to exit, and the dd alone
 *   io      the block layer alone, no CPU (bench/io*.js): 4 KiB reads at queue depth 32 through a
 *           BlockBackend, against fio's psync engine and against QEMU's own block layer
 *           (qemu-img bench) on the same file; ratios vtrace/fio and vtrace/QEMU, higher is better
 *   cpu     micro-benchmarks of the interpreter alone (bench/cpu/*.js), no QEMU counterpart
 *
 *   trace   recording cost (boot + dd with every tracepoint recorded vs off) and export speed
 *           (bench/trace.js)
 *   tui     what the live TUI costs the guest under full tracing, TUI vs --no-tui in tmux
 *           (bench/tui.js)
 *
 * Usage: node bench/run.js [boot] [dd] [sha256] [io] [cpu] [trace] [tui]   (default: all). Needs the Linux guest
 * (`npm run guest:build`) and qemu-system-misc; what is missing is reported and skipped.
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');

const REPO = path.resolve(__dirname, '..');
const MARKER = 'vtrace-guest: init reached';
const REPEAT = Number(process.env.BENCH_REPEAT || 3);

function guestDir() {
  if (process.env.VTRACE_GUEST_DIR) return process.env.VTRACE_GUEST_DIR;
  const r = spawnSync('bash', [path.join(REPO, 'guest/linux/build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) return undefined;
  return r.stdout.trim().split('\n').pop();
}

/** Run a guest, type `command` once the marker shows, return {bootMs, cmdMs, totalMs, stderr}. */
function runGuest(argv0, args, command, env) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(argv0, args, { stdio: 'pipe', env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    let tMarker = 0n;
    let tCmdDone = 0n;
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`${argv0} timed out; output:\n${out.slice(-2000)}\n${err.slice(-2000)}`));
    }, 600_000);
    p.stdout.on('data', (d) => {
      out += d.toString('latin1');
      if (!tMarker && out.includes(MARKER)) {
        tMarker = process.hrtime.bigint();
        p.stdin.write(`${command}\n`);
      }
      if (tMarker && !tCmdDone && out.includes('bench-done-42')) tCmdDone = process.hrtime.bigint();
    });
    p.stderr.on('data', (d) => (err += d.toString()));
    p.on('exit', (code) => {
      clearTimeout(timer);
      const t1 = process.hrtime.bigint();
      if (!tMarker) return reject(new Error(`${argv0} exited (${code}) before init; output:\n${out.slice(-2000)}\n${err.slice(-2000)}`));
      const ms = (a, b) => Number(b - a) / 1e6;
      resolve({ bootMs: ms(t0, tMarker), cmdMs: tCmdDone ? ms(tMarker, tCmdDone) : NaN, totalMs: ms(t0, t1), stderr: err, code });
    });
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function row(name, vt, qemu, unit = 'ms') {
  const ratio = vt / qemu;
  console.log(`${name.padEnd(34)} vtrace ${vt.toFixed(0).padStart(7)} ${unit}   qemu ${qemu.toFixed(0).padStart(7)} ${unit}   ratio ${ratio.toFixed(2)}`);
}

async function benchLinux(which) {
  const dir = guestDir();
  const qemu = spawnSync('which', ['qemu-system-riscv64']).status === 0;
  if (!dir || !fs.existsSync(path.join(dir, 'Image'))) return console.log('linux: skipped (the Linux guest is not built: npm run guest:build)');
  if (!qemu) return console.log('linux: skipped (qemu-system-riscv64 is not installed)');
  const machine = ['-M', 'virt', '-m', '256M', '-nographic', '-kernel', path.join(dir, 'Image'), '-initrd', path.join(dir, 'initramfs.cpio.gz'), '-append', 'console=ttyS0'];
  const cases = [];
  if (which.has('boot')) cases.push(['boot to init + poweroff', 'poweroff -f', (r) => r.totalMs]);
  const disk = ['-drive', `file=${path.join(dir, 'rootfs.ext4')},format=raw,id=hd0,if=none,readonly=on`, '-device', 'virtio-blk-device,drive=hd0'];
  if (which.has('dd')) cases.push(['boot + dd 32 MiB from /dev/vda', 'dd if=/dev/vda of=/dev/null bs=64k count=512; echo bench-done-$((6*7)); poweroff -f', (r) => r.totalMs, disk]);
  if (which.has('dd')) cases.push(['  the dd alone (in guest)', 'dd if=/dev/vda of=/dev/null bs=64k count=512; echo bench-done-$((6*7)); poweroff -f', (r) => r.cmdMs, disk]);
  if (which.has('sha256')) cases.push(['sha256sum of 16 MiB (in guest)', 'dd if=/dev/zero bs=1M count=16 2>/dev/null | sha256sum; echo bench-done-$((6*7)); poweroff -f', (r) => r.cmdMs]);
  for (const [name, cmd, pick, extra = []] of cases) {
    const vt = [];
    const qm = [];
    const startups = []; // VTRACE_STATS: ms from vtrace's start to the guest's first instruction
    let stats = '';
    for (let i = 0; i < REPEAT; i++) {
      const q = await runGuest('qemu-system-riscv64', [...machine, ...extra], cmd);
      qm.push(pick(q));
      // bin/vtrace run as `npx vtrace` runs it: through its shebang (node with its flags).
      const v = await runGuest(path.join(REPO, 'bin/vtrace'), ['run', ...machine, ...extra], cmd, { VTRACE_STATS: '1' });
      vt.push(pick(v));
      stats = (v.stderr.match(/vtrace: .*MIPS\)/) || [''])[0];
      const s = /first instruction (\d+) ms after start/.exec(v.stderr);
      if (s) startups.push(Number(s[1]));
    }
    row(name, median(vt), median(qm));
    if (stats) console.log(`${''.padEnd(34)} ${stats} (last run)${startups.length ? `; startup to the first guest instruction: median ${median(startups)} ms` : ''}`);
  }
}

/** The block layer alone (bench/io*.js), against fio and qemu-img bench (io-block.js prints both). */
function benchIo() {
  for (const f of fs.readdirSync(__dirname).filter((f) => /^io.*\.js$/.test(f)).sort()) {
    console.log(`--- ${f}`);
    spawnSync(process.execPath, [path.join(__dirname, f)], { stdio: 'inherit' });
  }
}

function benchCpu() {
  const dir = path.join(__dirname, 'cpu');
  if (!fs.existsSync(dir)) return;
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort()) {
    console.log(`--- cpu/${f}`);
    spawnSync(process.execPath, [path.join(dir, f)], { stdio: 'inherit' });
  }
}

(async () => {
  const args = new Set(process.argv.slice(2));
  const which = args.size ? args : new Set(['boot', 'dd', 'sha256', 'io', 'cpu', 'trace', 'tui']);
  console.log(`vtrace bench on ${require('node:os').cpus().length} cores, node ${process.version}, ${REPEAT} runs each (medians)`);
  if (which.has('boot') || which.has('sha256') || which.has('dd')) await benchLinux(which);
  if (which.has('io')) benchIo();
  if (which.has('cpu')) benchCpu();
  if (which.has('trace')) await require('./trace.js').benchTrace(guestDir());
  if (which.has('tui')) await require('./tui.js').benchTui(guestDir());
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
