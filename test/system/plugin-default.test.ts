/**
 * The bundled plugins on the embedded default guest (guest/default: writes sectors 0-7 and the
 * last sector of a 2048-sector disk, flushes, reads both back, reads past the end), each checked
 * against something it did not compute itself:
 * - biolatency, biosnoop, blktrace: against the run's own --trace-out recording (the requests it
 *   shows, their sectors and sizes) and the guest's console (what it says it did);
 * - syscount: against the recording's syscall_exit events (by name and thread) and `strace -f -y`
 *   of the same kind of run (the calls on the disk image);
 * - hotblocks: the top block is inside the guest's code (its ELF's symbols), and the blocks'
 *   executions add up to the instructions the vCPU retired;
 * - execlog: the first lines are objdump's disassembly of the guest at those addresses, and the
 *   first store of the BSS-clearing loop lands on the ELF's __bss_start.
 * Plus the fault rules: plugins that throw (at load, install, in a tracepoint or CPU callback, in
 * the report) are unloaded with one line each and the guest completes; bad plugin arguments are
 * one line and exit status 1; `info plugins` and plugins' commands in `vtrace debug`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALL_PASSED, run, which } from '../guest/default/harness';
import { REPO, VTRACE } from '../helpers/spawn-guest';
import { codeSymbolAt, elfSymbolList, elfSymbols, objdumpBinary, parseBiosnoop, parseBlktrace, parseExeclog, parseHistograms, parseHotblocks, parseSyscount, recordingFacts } from '../plugin/plugin-helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-plugin-default-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const FIX = path.join(REPO, 'test', 'plugin', 'fixtures');
const ELF = path.join(REPO, 'guest', 'default', 'build', 'default.elf');
const BIN = path.join(REPO, 'guest', 'default', 'default.bin');
const OBJDUMP = which('riscv64-linux-gnu-objdump');
const NM = which('riscv64-linux-gnu-nm') ?? which('nm');
const STRACE = which('strace');

/** A fresh 1 MiB disk for the default guest (its checks expect 2048 zeroed sectors). */
function disk(name: string): string[] {
  const f = path.join(tmp, `${name}.img`);
  fs.writeFileSync(f, Buffer.alloc(1024 * 1024));
  return ['-drive', `file=${f},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0'];
}

const out = (name: string) => path.join(tmp, name);
const read = (name: string) => fs.readFileSync(out(name), 'utf8');

async function vtrace(args: string[], env: NodeJS.ProcessEnv = {}) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await run(process.execPath, [VTRACE, 'run', ...args], 120_000);
  } finally {
    process.env = saved;
  }
}

describe('block I/O plugins and syscount on the default guest', () => {
  let r: Awaited<ReturnType<typeof vtrace>>;
  let facts: ReturnType<typeof recordingFacts>;
  beforeAll(async () => {
    r = await vtrace([
      ...disk('io'), '--trace-out', out('io.vtr'),
      '--plugin', `biolatency,outfile=${out('biolatency.txt')}`, '--plugin', `biolatency,disks=on,outfile=${out('biolatency-d.txt')}`,
      '--plugin', `biosnoop,outfile=${out('biosnoop.txt')}`, '--plugin', `blktrace,outfile=${out('blktrace.txt')}`,
      '--plugin', `syscount,outfile=${out('syscount.txt')}`, '--plugin', path.join(FIX, 'own-tracepoint.js'),
    ]);
    facts = recordingFacts(out('io.vtr'));
  }, 150_000);

  test('the guest passes its checks with the plugins loaded; the recording lost nothing', () => {
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(ALL_PASSED);
    expect(facts.lost).toBe(0);
    expect(facts.completed.size).toBe(6); // 2 writes, a flush, 3 reads (one past the end)
  });

  test('biolatency: the histogram counts every request the recording shows, per disk too', () => {
    const total = (file: string) => [...parseHistograms(read(file)).values()].flat().reduce((a, b) => a + b.count, 0);
    expect(total('biolatency.txt')).toBe(facts.completed.size);
    const perDisk = parseHistograms(read('biolatency-d.txt'));
    expect([...perDisk.keys()]).toEqual(['disk = hd0']);
    expect(total('biolatency-d.txt')).toBe(facts.completed.size);
    expect(read('biolatency.txt')).toMatch(/^ {5}usecs {15}: count {5}distribution$/m);
  });

  test('biosnoop: one line per request, with the sectors and sizes the guest asked for', () => {
    const lines = parseBiosnoop(read('biosnoop.txt'));
    expect(lines.map((l) => `${l.t} ${l.sector} ${l.bytes}`)).toEqual(['W 0 4096', 'W 2047 512', 'F 0 0', 'R 0 4096', 'R 2047 512', 'R 2048 512']);
    // The same reads and writes as the recording's virtio_blk_handle_read/_write, in order.
    expect(lines.filter((l) => l.t === 'R' || l.t === 'W').map((l) => `${l.t} ${l.sector} ${l.bytes}`)).toEqual(facts.rw.map((x) => `${x.op} ${x.sector} ${x.bytes}`));
    // And the guest's own account of them.
    for (const said of ['write sectors 0-7', 'write last sector', 'flush', 'read sectors 0-7', 'read last sector', 'read past the end']) expect(r.stdout).toContain(`virtio-blk: ${said}: status`);
    for (const l of lines) {
      expect(l.disk).toBe('hd0');
      expect(l.comm).toBe('emulator');
      expect(l.lat).toBeGreaterThanOrEqual(0);
    }
    expect(lines.map((l) => l.time)).toEqual([...lines.map((l) => l.time)].sort((a, b) => a - b));
  });

  test('blktrace: Q, D, C for each request in order; no D for the request past the end, which completes with -EIO', () => {
    const acts = parseBlktrace(read('blktrace.txt'));
    expect(acts.map((a) => a.seq)).toEqual(acts.map((_, i) => i + 1));
    const seq = acts.map((a) => `${a.action}${a.rwbs} ${a.sector}+${a.count}${a.action === 'C' ? ` ${a.tail}` : ''}`);
    expect(seq).toEqual([
      'QW 0+8', 'DW 0+8', 'CW 0+8 0', 'QW 2047+1', 'DW 2047+1', 'CW 2047+1 0', 'QF 0+0', 'DF 0+0', 'CF 0+0 0',
      'QR 0+8', 'DR 0+8', 'CR 0+8 0', 'QR 2047+1', 'DR 2047+1', 'CR 2047+1 0', 'QR 2048+1', 'CR 2048+1 -5',
    ]);
    expect(read('blktrace.txt')).toMatch(/^Total \(hd0\):\n Reads Queued: +3, +5KiB\t Writes Queued: +2, +5KiB$/m);
  });

  test('syscount: counts by name and thread equal the recording\'s syscall_exit events', () => {
    const s = parseSyscount(read('syscount.txt'));
    expect(Object.fromEntries(s.byName)).toEqual(Object.fromEntries(facts.syscalls));
    expect(new Map(s.byThread.map((t) => [`${t.tid}/${t.thread}/${t.name}`, t.count]))).toEqual(facts.syscallThreads);
    expect(s.byThread.some((t) => t.thread.startsWith('worker-') && t.name === 'preadv')).toBe(true);
  });

  test('a plugin\'s own tracepoint reaches its subscriber; onStart sees the vCPU and the disk', () => {
    expect(r.stderr).toMatch(/^start: 1 vcpu, pc 0x80200000, disks hd0:2048$/m);
    expect(r.stderr.match(/^bus: own-tracepoint:done req \d+ status \d$/gm)).toHaveLength(facts.completed.size);
  });
});

describe.skipIf(!STRACE)('syscount against strace', () => {
  test('pread64/preadv/pwrite64/fdatasync on the disk image: as many as strace -f -y sees', { timeout: 150_000 }, async () => {
    const log = out('strace.log');
    const img = path.join(tmp, 'st.img');
    const r = await run(STRACE!, ['-f', '-y', '-qq', '-e', 'trace=pread64,preadv,pwrite64,pwritev,fdatasync', '-o', log, process.execPath, VTRACE, 'run', ...disk('st'), '--plugin', `syscount,outfile=${out('st-syscount.txt')}`], 120_000);
    expect(r.code, r.stderr).toBe(0);
    const calls = fs.readFileSync(log, 'utf8').split('\n').map((l) => /^\d+\s+(\w+)\((\d+)<([^>]*)>/.exec(l)).filter((m) => m !== null && m[3] === img);
    const seen = new Map<string, number>();
    for (const m of calls) seen.set(m![1], (seen.get(m![1]) ?? 0) + 1);
    const s = parseSyscount(read('st-syscount.txt')).byName;
    for (const name of ['pread64', 'preadv', 'pwrite64', 'fdatasync']) expect(`${name} ${s.get(name) ?? 0}`).toBe(`${name} ${seen.get(name) ?? 0}`);
    expect(seen.get('preadv')).toBeGreaterThan(0);
  });
});

describe('CPU plugins on the default guest', () => {
  test.skipIf(!NM)('hotblocks: QEMU\'s report; the top block is guest code; executions add up to the instructions retired', { timeout: 150_000 }, async () => {
    const r = await vtrace([...disk('hb'), '--plugin', `hotblocks,limit=100000,outfile=${out('hotblocks.txt')}`], { VTRACE_STATS: '1' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(ALL_PASSED);
    const text = read('hotblocks.txt');
    expect(text).toMatch(/^collected \d+ entries in the hash table\npc, tcount, icount, ecount\n/);
    const hb = parseHotblocks(text);
    expect(hb.rows).toHaveLength(hb.entries);
    // The top block is code of the guest's: its virtio-blk request loop (polling the used ring).
    const top = hb.rows[0];
    expect(codeSymbolAt(elfSymbolList(NM!, ELF), top.pc), `top block 0x${top.pc.toString(16)}`).toBe('virtio_blk_request');
    expect(hb.rows.every((b, i) => i === 0 || hb.rows[i - 1].ecount >= b.ecount)).toBe(true);
    // Every retired instruction was counted in a block (a block cut short by a trap counts whole).
    const retired = Number(/(\d+) instructions in/.exec(r.stderr)?.[1]);
    const executed = hb.rows.reduce((a, b) => a + b.icount * b.ecount, 0);
    expect(executed).toBeGreaterThanOrEqual(retired);
    expect(executed).toBeLessThan(retired * 1.01);
  });

  test.skipIf(!OBJDUMP || !NM)('execlog: the first lines are objdump\'s disassembly of the guest; the BSS clearing stores to __bss_start', { timeout: 150_000 }, async () => {
    const r = await vtrace([...disk('el'), '--plugin', `execlog,outfile=${out('execlog.txt')}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(ALL_PASSED);
    const lines = parseExeclog(read('execlog.txt'));
    const dis = objdumpBinary(OBJDUMP!, BIN, 0x80200000n);
    expect(lines[0].pc).toBe(0x80200000n);
    for (const l of lines.slice(0, 40)) {
      const o = dis.get(l.pc);
      expect(o, `0x${l.pc.toString(16)}`).toBeDefined();
      expect(`${l.opcode.toString(16)} ${l.text}`).toBe(`${o!.opcode.toString(16)} ${o!.text}`);
    }
    const amo = lines.find((l) => l.text.startsWith('amoadd.w'))!;
    expect(amo.accesses.map((a) => a.kind)).toEqual(['load', 'store']);
    const firstStore = lines.find((l) => l.text.startsWith('sd zero,0(t0)'))!;
    expect(firstStore.accesses).toEqual([{ kind: 'store', paddr: Number(elfSymbols(NM!, ELF).get('__bss_start')), device: 'RAM' }]);
    // The UART's accesses are MMIO: named by their region.
    expect(lines.some((l) => l.accesses.some((a) => a.device !== 'RAM' && a.paddr >= 0x10000000 && a.paddr < 0x10000100))).toBe(true);
  });
});

describe('faults and mistakes', () => {
  test('plugins that throw are unloaded with one line each; the others go on and the guest completes', { timeout: 150_000 }, async () => {
    const r = await vtrace([
      ...disk('f'), '--plugin', path.join(FIX, 'bad-syntax.js'), '--plugin', path.join(FIX, 'throws-at-install.js'),
      '--plugin', path.join(FIX, 'throws-in-callback.js'), '--plugin', path.join(FIX, 'throws-in-tb.js'),
      '--plugin', path.join(FIX, 'throws-in-report.js'), '--plugin', `biolatency,outfile=${out('f-biolatency.txt')}`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(ALL_PASSED);
    const unloaded = r.stderr.split('\n').filter((l) => l.startsWith('vtrace: plugin '));
    const f = (n: string) => path.relative(process.cwd(), path.join(FIX, n));
    expect(unloaded.sort()).toEqual(
      [
        `vtrace: plugin bad-syntax unloaded: it threw in loading: SyntaxError: Unexpected token ')' (at ${f('bad-syntax.js')}:2); the machine goes on without it`,
        `vtrace: plugin throws-at-install unloaded: it threw in install: TypeError: Cannot read properties of null (reading 'boom') (at ${f('throws-at-install.js')}:6:10); the machine goes on without it`,
        `vtrace: plugin throws-in-callback unloaded: it threw in its virtio_blk_req_complete callback: Error: boom on completion 2 (at ${f('throws-in-callback.js')}:12:26); the machine goes on without it`,
        `vtrace: plugin throws-in-tb unloaded: it threw in a tb_exec callback: RangeError: block at 0x80200070 is one too many (at ${f('throws-in-tb.js')}:9:37); the machine goes on without it`,
        `vtrace: plugin throws-in-report unloaded: it threw in its exit report: TypeError: report exploded (at ${f('throws-in-report.js')}:9:13); the machine goes on without it`,
      ].sort(),
    );
    // The callback plugin ran until it threw, and never again (not even its report).
    expect(r.stderr.match(/^throws-in-callback: completion \d/gm)).toEqual(['throws-in-callback: completion 1', 'throws-in-callback: completion 2']);
    expect(r.stderr).not.toContain('must not appear');
    expect(r.stderr).toMatch(/^throws-in-report: \d+ syscalls$/m);
    // The plugin loaded next to them saw every request.
    expect([...parseHistograms(read('f-biolatency.txt')).values()].flat().reduce((a, b) => a + b.count, 0)).toBe(6);
  });

  test('bad plugin arguments: one line, exit status 1, the guest never starts', async () => {
    const cases: Array<[string[], string]> = [
      [['--plugin', 'biolatency,bogus=1'], "vtrace: plugin biolatency: unknown argument 'bogus' (it takes disks, milliseconds, flags)\n"],
      [['--plugin', 'syscount,top=0'], 'vtrace: plugin syscount: top=0: must be between 1 and 1000\n'],
      [['--plugin', 'execlog,afilter=xyz'], 'vtrace: plugin execlog: afilter=xyz: a hexadecimal address is expected\n'],
      [['--plugin', `${path.join(FIX, 'rejects-args.js')},mode=medium`], 'vtrace: plugin rejects-args: mode=medium: fast or slow\n'],
      [['--plugin', 'nosuch'], 'vtrace: --plugin nosuch: No such file (bundled plugins: biolatency, biosnoop, blktrace, execlog, hotblocks, syscount)\n'],
    ];
    for (const [args, err] of cases) {
      const r = await vtrace(args);
      expect({ code: r.code, err: r.stderr, out: r.stdout }).toEqual({ code: 1, err, out: '' });
    }
  });

  test('vtrace debug: info plugins, the plugins\' commands, and a command of an unloaded plugin', { timeout: 150_000 }, () => {
    const r = spawnSync(process.execPath, [VTRACE, 'debug', '-batch', '-tty=/dev/null', '-ex', 'run', '-ex', 'info plugins', '-ex', 'syscount', '-ex', 'biolatency bogus', '-ex', 'throwy',
      '--', ...disk('dbg'), '--plugin', 'biolatency', '--plugin', 'syscount', '--plugin', path.join(FIX, 'throws-in-callback.js')], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toMatch(/^biolatency {2}\S+plugins\/biolatency\.js\n {2}loaded; \d+ events delivered\n {2}counter requests = 6 {2}\(virtio-blk requests completed\)$/m);
    expect(r.stdout).toMatch(/^throws-in-callback {2}\S+\n {2}unloaded: it threw in its virtio_blk_req_complete callback: Error: boom on completion 2/m);
    expect(r.stdout).toMatch(/^SYSCALL +COUNT\n(\w+ +\d+\n)+\nTID +THREAD +SYSCALL +COUNT\n/m);
    expect(r.stderr).toContain("biolatency: unknown argument 'bogus' (reset, or nothing)\n");
    expect(r.stderr).toMatch(/^plugin throws-in-callback was unloaded \(threw in its virtio_blk_req_complete callback/m);
    expect(r.status).toBe(1); // the last command failed
  });
});
