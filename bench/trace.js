#!/usr/bin/env node
/**
 * `npm run bench -- trace` (bench/run.js calls this): what tracepoints and recording cost, and how
 * fast export is. Three figures (issue 4, "Speed"):
 *
 *   recording    Linux boot (initramfs) + `dd if=/dev/vda of=/dev/null bs=64k count=512` (32 MiB
 *                from the recipe's ext4 image on virtio-blk), `-trace '*' --trace-out FILE.vtr`
 *                (every tracepoint recorded) vs tracing off. Target: ≤ 1.30.
 *   tracing off  the same run, tracing off, vs a build without tracepoints; and, where the disabled
 *                tracepoints sit, the I/O path alone (bench/io-block.js, no guest: far less noise),
 *                CPU time per request. Target: ≤ 1.02.
 *   export       a recording of boot + `dd bs=4k count=20000 iflag=direct` (~1.3 M events) to
 *                Chrome JSON and to Perfetto protobuf, each into a new file: events per second
 *                (export alone, in-process, as `vtrace export` reports it). Target: ≥ 1 M/s.
 *
 * The build without tracepoints is this build with every tracepoint compiled out: a copy of dist/
 * where each call site's load of its hook (utilTraceHooks.x, virtioTraceHooks.x, blockTraceHooks.x,
 * the backtrace hooks, the syscall layer's recorder hook, the MMIO observer) is replaced by the
 * constant null, so V8 drops the test and the call (the code a C build with the trace backend
 * "nop" would give). Same commit, same everything else: the difference is exactly what disabled
 * tracepoints cost. (An older commit without tracepoints would also lack later features and fixes.)
 *
 * Method: the variants run interleaved, in rounds (one run of each variant per round, rotating
 * order), so load from other processes hits all of them; each run reports wall time and CPU time
 * (user + sys of all threads, from /usr/bin/time). Per variant: the median of its runs, [min–max].
 * Ratios are paired: each round gives one ratio of runs made next to each other (a load swing
 * between rounds cancels out), and the figure is the median of the rounds' ratios with its
 * interquartile range [q1–q3] — the half of the rounds in the middle. A target is met when the
 * median is within it; when the IQR straddles the target, the bench says the difference is within
 * this machine's noise. CPU time is the steadier figure on a loaded machine. Rounds: BENCH_REPEAT,
 * else 9 for the guest runs, 15 for the I/O path (3 s each), 7 exports. BENCH_TRACE=recording,io,
 * export picks parts. Needs the Linux guest (npm run guest:build) and dist/ (npx tsc -p .).
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const REPEAT = process.env.BENCH_REPEAT ? Number(process.env.BENCH_REPEAT) : undefined;
const ROUNDS = { recording: REPEAT ?? 9, io: REPEAT ?? 15, export: REPEAT ?? 7 };
const MARKER = 'vtrace-guest: init reached';
const DD_32M = 'dd if=/dev/vda of=/dev/null bs=64k count=512';
const DD_EXPORT = 'dd if=/dev/vda of=/dev/null bs=4k count=20000 iflag=direct';

/** Run `root`/bin/vtrace run ARGS, type COMMAND at the guest's prompt; wall ms and CPU s. */
function runGuest(root, args, command) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const timed = fs.existsSync('/usr/bin/time');
    const argv = [path.join(root, 'bin/vtrace'), 'run', ...args]; // through its shebang, as `npx vtrace`
    const p = timed ? spawn('/usr/bin/time', ['-f', 'RUSAGE %U %S', ...argv], { stdio: 'pipe' }) : spawn(argv[0], argv.slice(1), { stdio: 'pipe' });
    let out = '';
    let err = '';
    let sent = false;
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`timed out:\n${out.slice(-2000)}\n${err.slice(-2000)}`));
    }, 900_000);
    p.stdout.on('data', (d) => {
      out += d.toString('latin1');
      if (!sent && out.includes(MARKER)) {
        sent = true;
        p.stdin.write(`${command}; poweroff -f\n`);
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

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (xs, digits) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
/** The q-quantile of xs (linear interpolation between order statistics). */
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return lo + 1 < s.length ? s[lo] + (s[lo + 1] - s[lo]) * (i - lo) : s[lo];
};
/**
 * Paired ratios a[i] / b[i] (the runs of one round): "median [q1–q3]" and the verdict against
 * `target` (a ratio that must not exceed it; with `higherIsBetter`, one that must reach it).
 */
function pairedRatio(a, b, target, higherIsBetter = false) {
  const r = a.map((x, i) => x / b[i]).filter(Number.isFinite);
  if (r.length === 0) return 'n/a';
  const m = median(r);
  const q1 = quantile(r, 0.25);
  const q3 = quantile(r, 0.75);
  const ok = higherIsBetter ? m >= target : m <= target;
  const noise = q1 <= target && target <= q3 ? ' (the IQR straddles it: within noise)' : '';
  return `${m.toFixed(3)} [${q1.toFixed(3)}–${q3.toFixed(3)}]  ${ok ? 'meets' : 'MISSES'} the target${noise}`;
}

/**
 * A copy of the build with every tracepoint hook load replaced by null (see the header). Returns
 * its root; throws if a call site pattern is missing (the bench must not silently compare a build
 * with itself).
 */
function buildWithoutTracepoints(tmp) {
  const root = path.join(tmp, 'notrace');
  fs.cpSync(path.join(REPO, 'dist'), path.join(root, 'dist'), { recursive: true });
  fs.cpSync(path.join(REPO, 'bin'), path.join(root, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(root, 'bench'));
  fs.copyFileSync(path.join(REPO, 'bench/io-block.js'), path.join(root, 'bench/io-block.js'));
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(root, 'package.json'));
  for (const d of ['node_modules', 'traces', 'guest']) fs.symlinkSync(path.join(REPO, d), path.join(root, d));
  const hookLoad = /\btrace_hooks_1\.(utilTraceHooks|utilBacktraceHooks|virtioTraceHooks|virtioBlkTraceHooks|blockTraceHooks)\.[A-Za-z_0-9]+/g;
  const rules = [
    // Every subsystem's tracepoint call sites (util/, block/, hw/): `const h = hooks.x; if (h !== null) h(...)`.
    { files: /^(util|block|hw)\//, re: hookLoad, to: 'null' },
    // The syscall layer's recorder hook (strace records, syscall_* tracepoints).
    { files: /^host\/syscalls\.js$/, re: /\brecord_1\.recorderState\.hook\b/g, to: 'null' },
    // The MMIO observer (memory_region_ops_* tracepoints).
    { files: /^system\/memory\.js$/, re: /this\.mmioObserver !== null/g, to: 'false' },
    // The trap entry's hook (riscv_trap, src/trace/cpu-hooks.ts), once src/target/riscv calls it.
    { files: /^target\//, re: /\b[A-Za-z_0-9]+_1\.cpuTraceHooks\.riscv_trap\b/g, to: 'null', optional: true },
  ];
  const counts = rules.map(() => 0);
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) {
        const rel = path.relative(path.join(root, 'dist'), p).split(path.sep).join('/');
        if (rel.endsWith('trace-hooks.js')) continue; // the tables themselves
        let text = fs.readFileSync(p, 'utf8');
        let changed = false;
        rules.forEach((r, i) => {
          if (!r.files.test(rel)) return;
          text = text.replace(r.re, () => {
            counts[i]++;
            changed = true;
            return r.to;
          });
        });
        if (changed) fs.writeFileSync(p, text);
      }
    }
  };
  walk(path.join(root, 'dist'));
  if (counts.some((c, i) => c === 0 && !rules[i].optional)) throw new Error(`build without tracepoints: a call-site pattern matched nothing (${counts.join(', ')}): update bench/trace.js`);
  return { root, sites: counts.reduce((a, b) => a + b, 0) };
}

function machineArgs(guestDir) {
  return ['-M', 'virt', '-m', '256M', '-nographic', '-kernel', path.join(guestDir, 'Image'), '-initrd', path.join(guestDir, 'initramfs.cpio.gz'),
    '-append', 'console=ttyS0', '-drive', `file=${path.join(guestDir, 'rootfs.ext4')},format=raw,id=hd0,if=none,readonly=on`, '-device', 'virtio-blk-device,drive=hd0'];
}

async function benchRecording(machine, tmp, notrace, sites) {
  const rec = path.join(tmp, 'run.vtr');
  const variants = [
    { name: 'without tracepoints', root: notrace, args: machine },
    { name: 'tracing off', root: REPO, args: machine },
    { name: "-trace '*' --trace-out", root: REPO, args: [...machine, '-trace', '*', '--trace-out', rec] },
  ];
  const res = variants.map(() => ({ ms: [], cpu: [] }));
  let summary = '';
  for (let i = 0; i < ROUNDS.recording; i++) {
    for (let k = 0; k < variants.length; k++) {
      const j = (i + k) % variants.length;
      const r = await runGuest(variants[j].root, variants[j].args, DD_32M);
      res[j].ms.push(r.ms);
      res[j].cpu.push(r.cpu);
      if (j === 2) summary = (r.stderr.match(/vtrace: --trace-out .*/) || [''])[0].replace(rec, 'FILE.vtr');
      fs.rmSync(rec, { force: true });
    }
  }
  console.log(`boot + dd 32 MiB (${ROUNDS.recording} rounds of one run each, rotating order; medians, [min–max]; build without tracepoints: ${sites} call sites compiled out)`);
  for (let j = 0; j < variants.length; j++) {
    const cpu = Number.isFinite(median(res[j].cpu)) ? `   CPU ${median(res[j].cpu).toFixed(2)} s [${spread(res[j].cpu, 2)}]` : '';
    console.log(`  ${variants[j].name.padEnd(26)} wall ${median(res[j].ms).toFixed(0).padStart(6)} ms [${spread(res[j].ms, 0)}]${cpu}`);
  }
  if (summary) console.log(`  ${summary}`);
  console.log('  paired ratios: median of the rounds [q1–q3]');
  console.log(`  recording overhead (traced / off), target ≤ 1.30:   CPU  ${pairedRatio(res[2].cpu, res[1].cpu, 1.3)}`);
  console.log(`                                                      wall ${pairedRatio(res[2].ms, res[1].ms, 1.3)}`);
  console.log(`  tracing-off overhead (off / without), target ≤ 1.02: CPU  ${pairedRatio(res[1].cpu, res[0].cpu, 1.02)}`);
  console.log(`                                                      wall ${pairedRatio(res[1].ms, res[0].ms, 1.02)}`);
}

/**
 * The I/O path alone, where the disabled tracepoints sit (bench/io-block.js: blk_aio_preadv →
 * coroutine → file-posix → thread pool → pread64 → completion, 4 KiB at QD 32, no guest), in this
 * build and in the build without tracepoints: IOPS and CPU time per request (user + sys of all
 * threads / requests). Far less noise than a guest boot, so a 2% difference shows.
 */
function benchIoPath(notrace, tmp) {
  const { spawnSync } = require('node:child_process');
  const file = path.join(tmp, 'io.img');
  const chunk = Buffer.alloc(1 << 20, 0x5a);
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < 64; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  const SECONDS = 3;
  const WARMUP = 1; // io-block's warm-up before it counts
  const roots = [notrace, REPO];
  const res = roots.map(() => ({ iops: [], cpuUs: [] }));
  for (let i = 0; i < ROUNDS.io; i++) {
    for (let k = 0; k < roots.length; k++) {
      const j = (i + k) % roots.length;
      const r = spawnSync('/usr/bin/time', ['-f', 'RUSAGE %U %S', process.execPath, path.join(roots[j], 'bench/io-block.js'), '--no-fio', '--no-qemu', '--seconds', String(SECONDS), '--size-mib', '64', '--file', file], { encoding: 'utf8' });
      const iops = /(\d+) IOPS/.exec(r.stdout);
      const ru = /RUSAGE ([\d.]+) ([\d.]+)/.exec(r.stderr);
      if (r.status !== 0 || !iops || !ru) throw new Error(`io-block failed: ${r.stdout}${r.stderr}`);
      res[j].iops.push(Number(iops[1]));
      // CPU per request: the whole process's CPU over the requests of the measured and warm-up time.
      res[j].cpuUs.push(((Number(ru[1]) + Number(ru[2])) * 1e6) / (Number(iops[1]) * (SECONDS + WARMUP)));
    }
  }
  console.log(`I/O path alone (bench/io-block.js: 4 KiB reads, QD 32, ${SECONDS} s; ${ROUNDS.io} rounds of one run each, rotating order; medians, [min–max])`);
  const names = ['without tracepoints', 'tracing off'];
  for (let j = 0; j < roots.length; j++) {
    console.log(`  ${names[j].padEnd(26)} ${median(res[j].iops).toFixed(0).padStart(7)} IOPS [${spread(res[j].iops, 0)}]   CPU ${median(res[j].cpuUs).toFixed(1)} µs/request [${spread(res[j].cpuUs, 1)}]`);
  }
  console.log('  tracing-off overhead (off / without), paired: median of the rounds [q1–q3]');
  console.log(`    CPU per request, target ≤ 1.02: ${pairedRatio(res[1].cpuUs, res[0].cpuUs, 1.02)}`);
  console.log(`    IOPS, target ≥ 0.98:            ${pairedRatio(res[1].iops, res[0].iops, 1 / 1.02, true)}`);
}

async function benchExport(machine, tmp) {
  const rec = path.join(tmp, 'export.vtr');
  const r = await runGuest(REPO, [...machine, '-trace', '*', '--trace-out', rec], DD_EXPORT);
  const summary = (r.stderr.match(/vtrace: --trace-out .*/) || [''])[0].replace(rec, 'FILE.vtr');
  const { openRecording } = require(path.join(REPO, 'dist/trace/vtr-reader.js'));
  const { exportRecording } = require(path.join(REPO, 'dist/trace/export/export.js'));
  console.log(`export of boot + ${DD_EXPORT} (${summary.replace(/^vtrace: --trace-out FILE.vtr: /, '')}), into a new file each time; medians of ${ROUNDS.export}, [min–max]`);
  for (const format of ['chrome', 'perfetto']) {
    const out = path.join(tmp, `out.${format}`);
    const wall = [];
    const cpu = [];
    let s;
    for (let i = 0; i < ROUNDS.export; i++) {
      fs.rmSync(out, { force: true });
      const recording = openRecording(rec);
      const c0 = process.cpuUsage();
      s = exportRecording(recording, { format, out });
      const c = process.cpuUsage(c0);
      recording.close();
      wall.push(s.events / s.seconds / 1e6);
      cpu.push(s.events / ((c.user + c.system) / 1e6) / 1e6);
    }
    const mb = (fs.statSync(out).size / 1e6).toFixed(0);
    console.log(`  --format ${format.padEnd(9)} ${median(wall).toFixed(2)} M events/s [${spread(wall, 2)}]   per CPU second ${median(cpu).toFixed(2)} M   (${s.events} events → ${mb} MB; target ≥ 1)`);
    fs.rmSync(out, { force: true });
  }
}

async function benchTrace(guestDir) {
  if (!guestDir || !fs.existsSync(path.join(guestDir, 'Image'))) return console.log('trace: skipped (the Linux guest is not built: npm run guest:build)');
  if (!fs.existsSync(path.join(REPO, 'dist/trace/export/export.js'))) return console.log('trace: skipped (dist/ is not built: npx tsc -p .)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-bench-trace-'));
  const machine = machineArgs(guestDir);
  const which = new Set((process.env.BENCH_TRACE || 'recording,io,export').split(','));
  try {
    const { root: notrace, sites } = buildWithoutTracepoints(tmp);
    if (which.has('recording')) await benchRecording(machine, tmp, notrace, sites);
    if (which.has('io')) benchIoPath(notrace, tmp);
    if (which.has('export')) await benchExport(machine, tmp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

module.exports = { benchTrace, buildWithoutTracepoints };

if (require.main === module) {
  const dir = process.env.VTRACE_GUEST_DIR || require('node:child_process').spawnSync('bash', [path.join(REPO, 'guest/linux/build.sh'), '--print-dir'], { encoding: 'utf8' }).stdout.trim();
  benchTrace(dir).catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
