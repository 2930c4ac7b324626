#!/usr/bin/env node
/**
 * `npm run bench -- trace` (bench/run.js calls this): what recording costs and how fast export is.
 *
 *   record   Linux boot (initramfs) + `dd if=/dev/vda of=/dev/null bs=64k count=512` (32 MiB from
 *            the recipe's ext4 image on virtio-blk), wall time to exit: tracing off vs
 *            `-trace '*' --trace-out FILE.vtr` (every tracepoint recorded). Target: ≤ 1.30.
 *   export   that recording to Chrome JSON and to Perfetto protobuf: events per second
 *            (export alone, in-process, file written). Target: ≥ 1M events/s.
 *
 * Runs alternate (off, on, off, on...) so load from other processes hits both; medians of
 * BENCH_REPEAT runs (default 3). Needs the Linux guest (npm run guest:build) and dist/.
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const REPEAT = Number(process.env.BENCH_REPEAT || 3);
const MARKER = 'vtrace-guest: init reached';

function runGuest(args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    // /usr/bin/time adds the process's CPU time (user + sys, all threads): steadier than wall time
    // on a loaded 2-core machine.
    const timed = fs.existsSync('/usr/bin/time');
    const argv = [process.execPath, path.join(REPO, 'bin/vtrace'), 'run', ...args];
    const p = timed ? spawn('/usr/bin/time', ['-f', 'RUSAGE %U %S', ...argv], { stdio: 'pipe' }) : spawn(argv[0], argv.slice(1), { stdio: 'pipe' });
    let out = '';
    let err = '';
    let sent = false;
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`timed out:\n${out.slice(-2000)}\n${err.slice(-2000)}`));
    }, 600_000);
    p.stdout.on('data', (d) => {
      out += d.toString('latin1');
      if (!sent && out.includes(MARKER)) {
        sent = true;
        p.stdin.write('dd if=/dev/vda of=/dev/null bs=64k count=512; poweroff -f\n');
      }
    });
    p.stderr.on('data', (d) => (err += d.toString()));
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`vtrace exited ${code}:\n${err.slice(-2000)}`));
      const ru = /RUSAGE ([\d.]+) ([\d.]+)/.exec(err);
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, cpu: ru ? Number(ru[1]) + Number(ru[2]) : NaN, stderr: err });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function benchTrace(guestDir) {
  if (!guestDir || !fs.existsSync(path.join(guestDir, 'Image'))) return console.log('trace: skipped (the Linux guest is not built: npm run guest:build)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-bench-trace-'));
  const rec = path.join(tmp, 'boot.vtr');
  const machine = ['-M', 'virt', '-m', '256M', '-nographic', '-kernel', path.join(guestDir, 'Image'), '-initrd', path.join(guestDir, 'initramfs.cpio.gz'),
    '-append', 'console=ttyS0', '-drive', `file=${path.join(guestDir, 'rootfs.ext4')},format=raw,id=hd0,if=none,readonly=on`, '-device', 'virtio-blk-device,drive=hd0'];
  try {
    const off = [];
    const on = [];
    const offCpu = [];
    const onCpu = [];
    let summary = '';
    for (let i = 0; i < REPEAT; i++) {
      const o = await runGuest(machine);
      off.push(o.ms);
      offCpu.push(o.cpu);
      const r = await runGuest([...machine, '-trace', '*', '--trace-out', rec]);
      on.push(r.ms);
      onCpu.push(r.cpu);
      summary = (r.stderr.match(/vtrace: --trace-out .*/) || [''])[0];
    }
    const a = median(off);
    const b = median(on);
    console.log(`${'boot + dd 32 MiB, tracing off'.padEnd(44)} ${a.toFixed(0).padStart(7)} ms`);
    console.log(`${"boot + dd 32 MiB, -trace '*' --trace-out".padEnd(44)} ${b.toFixed(0).padStart(7)} ms   ratio ${(b / a).toFixed(2)} (target ≤ 1.30)`);
    const ca = median(offCpu);
    const cb = median(onCpu);
    if (Number.isFinite(ca)) console.log(`${'  CPU time (user + sys), off / on'.padEnd(44)} ${ca.toFixed(2).padStart(7)} s / ${cb.toFixed(2)} s   ratio ${(cb / ca).toFixed(2)}`);
    if (summary) console.log(`${''.padEnd(44)} ${summary}`);
    const { openRecording } = require(path.join(REPO, 'dist/trace/vtr-reader.js'));
    const { exportRecording } = require(path.join(REPO, 'dist/trace/export/export.js'));
    for (const format of ['chrome', 'perfetto']) {
      const rates = [];
      let events = 0;
      for (let i = 0; i < REPEAT; i++) {
        const r = openRecording(rec);
        const s = exportRecording(r, { format, out: path.join(tmp, `out.${format}`) });
        r.close();
        events = s.events;
        rates.push(s.events / s.seconds);
      }
      console.log(`${`export --format ${format}`.padEnd(44)} ${(median(rates) / 1e6).toFixed(2).padStart(7)} M events/s (${events} events; target ≥ 1)`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

module.exports = { benchTrace };

if (require.main === module) {
  const dir = process.env.VTRACE_GUEST_DIR || require('node:child_process').spawnSync('bash', [path.join(REPO, 'guest/linux/build.sh'), '--print-dir'], { encoding: 'utf8' }).stdout.trim();
  benchTrace(dir).catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
