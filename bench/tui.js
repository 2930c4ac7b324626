#!/usr/bin/env node
/**
 * `npm run bench -- tui` (bench/run.js calls this): what the live TUI costs the guest (issue 6:
 * "rendering never slows the guest by more than a few percent under full tracing").
 *
 * The same run twice, in a real terminal (a detached tmux session, as the TUI's end-to-end tests
 * use): the Linux guest of the recipe with its ext4 image on virtio-blk, every tracepoint recorded
 * (`-trace '*' --trace-out FILE.vtr`), once with the TUI (the default on a terminal) and once with
 * `--no-tui` (the plain console). At the guest's prompt it types a workload that exercises the
 * I/O path and the CPU (direct 4 KiB reads from /dev/vda, then sha256sum of 4 MiB) under busybox's
 * `time`, and reads the guest's own `real` time from the screen (the guest clock runs with the
 * host's while the machine runs). Variants interleaved, medians of BENCH_REPEAT runs (default 5)
 * with min–max; the ratio TUI/plain is the figure (target ≤ 1.05).
 *
 * Needs tmux, the Linux guest (npm run guest:build) and dist/ (npx tsc -p .); says what is missing
 * and skips otherwise.
 */
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const REPEAT = Number(process.env.BENCH_REPEAT || 5);
const WORKLOAD = "time sh -c 'dd if=/dev/vda of=/dev/null bs=4k count=2000 iflag=direct 2>/dev/null; dd if=/dev/zero bs=1M count=4 2>/dev/null | sha256sum'";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Session {
  constructor(cols, rows) {
    this.name = `vtrace-bench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    execFileSync('tmux', ['new-session', '-d', '-s', this.name, '-x', String(cols), '-y', String(rows), '-c', REPO, 'env', '-u', 'CI', '-u', 'NO_COLOR', 'TERM=xterm-256color', 'PS1=bench$ ', 'bash', '--norc', '--noprofile']);
  }
  keys(...k) {
    execFileSync('tmux', ['send-keys', '-t', this.name, ...k]);
  }
  type(text) {
    execFileSync('tmux', ['send-keys', '-t', this.name, '-l', text]);
  }
  screen() {
    return execFileSync('tmux', ['capture-pane', '-p', '-t', this.name], { encoding: 'utf8' });
  }
  async waitFor(re, ms) {
    const end = Date.now() + ms;
    for (;;) {
      const s = this.screen();
      if (re.test(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${re}; screen:\n${s}`);
      await sleep(100);
    }
  }
  kill() {
    spawnSync('tmux', ['kill-session', '-t', this.name]);
  }
}

/** One run: the guest's `real` seconds for the workload, and vtrace's exit line. */
async function runOnce(dir, tui, tmp, i) {
  const s = new Session(120, 40);
  const out = path.join(tmp, `run-${i}.vtr`);
  const err = path.join(tmp, `run-${i}.err`);
  try {
    await s.waitFor(/bench\$/, 10_000);
    const args = ['-M', 'virt', '-m', '256M', '-kernel', path.join(dir, 'Image'), '-initrd', path.join(dir, 'initramfs.cpio.gz'), '-append', 'console=ttyS0', '-drive', `file=${path.join(dir, 'rootfs.ext4')},format=raw,id=hd0,if=none,readonly=on`, '-device', 'virtio-blk-device,drive=hd0', '-trace', "'*'", '--trace-out', out, ...(tui ? [] : ['--no-tui'])];
    s.type(`./bin/vtrace run ${args.join(' ')} 2>${err}; echo BENCH-EXIT=$?`); // through its shebang, as `npx vtrace`
    s.keys('Enter');
    await s.waitFor(/vtrace-guest: root=/, 300_000);
    if (tui) {
      s.keys('i'); // keys go to the guest's UART
      await s.waitFor(/TYPING TO GUEST/, 10_000);
    }
    await sleep(500);
    s.type(`${WORKLOAD}; echo bench-$((6*7)); poweroff -f`);
    s.keys('Enter');
    const screen = await s.waitFor(/bench-42/, 600_000);
    const m = /real\s+(\d+)m\s*([\d.]+)s/.exec(screen);
    if (m === null) throw new Error(`no 'real' time on the screen:\n${screen}`);
    if (tui) {
      s.keys('C-a', 'q'); // back to the TUI's keys, then quit it
      await sleep(300);
      s.keys('q');
    }
    await s.waitFor(/BENCH-EXIT=\d+/, 120_000);
    return Number(m[1]) * 60 + Number(m[2]);
  } finally {
    s.kill();
    fs.rmSync(out, { force: true });
    fs.rmSync(err, { force: true });
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function benchTui(dir) {
  if (spawnSync('tmux', ['-V']).status !== 0) return console.log('tui: skipped (tmux is not installed)');
  if (!dir || !fs.existsSync(path.join(dir, 'Image'))) return console.log('tui: skipped (the Linux guest is not built: npm run guest:build)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-bench-tui-'));
  const times = { plain: [], tui: [] };
  try {
    for (let i = 0; i < REPEAT; i++) {
      for (const v of i % 2 === 0 ? ['plain', 'tui'] : ['tui', 'plain']) times[v].push(await runOnce(dir, v === 'tui', tmp, `${v}-${i}`));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const fmt = (xs) => `${median(xs).toFixed(2)} s [${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}]`;
  console.log(`TUI cost under full tracing (guest's own time for: 2000 direct 4 KiB reads from /dev/vda + sha256sum of 4 MiB; ${REPEAT} runs each, interleaved; medians [min–max])`);
  console.log(`  --no-tui (plain console)   ${fmt(times.plain)}`);
  console.log(`  TUI                        ${fmt(times.tui)}`);
  console.log(`  TUI / plain                ${(median(times.tui) / median(times.plain)).toFixed(3)}   (target ≤ 1.05)`);
}

module.exports = { benchTui };

if (require.main === module) {
  const dir = process.env.VTRACE_GUEST_DIR || spawnSync('bash', [path.join(REPO, 'guest/linux/build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).stdout.trim().split('\n').pop();
  benchTui(dir).catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
