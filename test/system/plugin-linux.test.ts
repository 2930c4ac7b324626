/**
 * The bundled plugins on Linux (the recipe's kernel and initramfs, the rootfs image as a read-only
 * virtio-blk disk): the guest runs `dd if=/dev/vda of=/dev/null bs=64k count=64` (4 MiB) and
 * powers off. Judged against the run's own --trace-out recording, what dd read, and the kernel
 * the recipe built (objdump of the Image, System.map):
 * - biolatency counts every request the recording shows; biosnoop's lines are the recording's
 *   reads, and together cover the 8192 sectors dd read; blktrace has Q, D and C for each;
 * - syscount's counts equal the recording's syscall_exit events, by name and by thread;
 * - execlog (limit=400) starts at the Image's first instruction and agrees with objdump;
 * - hotblocks' top block is kernel code (a text symbol of System.map), and the blocks' executions
 *   add up to the instructions retired.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { linuxGuestDir, spawnGuest, VTRACE } from '../helpers/spawn-guest';
import { which } from '../guest/default/harness';
import { codeSymbolAt, objdumpBinary, parseBiosnoop, parseBlktrace, parseExeclog, parseHistograms, parseHotblocks, parseSyscount, recordingFacts } from '../plugin/plugin-helpers';

const dir = linuxGuestDir();
if (!dir) {
  const msg = 'Linux guest not built (VTRACE_GUEST_DIR unset: run `npm test`, which builds it, or `npm run guest:build`)';
  if (process.env.CI) throw new Error(msg);
  console.warn(`skipping plugin Linux tests: ${msg}`);
}
const OBJDUMP = which('riscv64-linux-gnu-objdump');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-plugin-linux-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const out = (name: string) => path.join(tmp, name);
const read = (name: string) => fs.readFileSync(out(name), 'utf8');
const DD_SECTORS = (64 * 65536) / 512;

/** Boot, dd from /dev/vda, power off; returns the exit status and both streams. */
async function bootDd(extra: string[], env: NodeJS.ProcessEnv = {}) {
  const g = spawnGuest(process.execPath, [
    VTRACE, 'run', '-M', 'virt', '-m', '256M', '-nographic', '-kernel', path.join(dir!, 'Image'), '-initrd', path.join(dir!, 'initramfs.cpio.gz'),
    '-append', 'console=ttyS0', '-drive', `file=${path.join(dir!, 'rootfs.ext4')},format=raw,id=hd0,if=none,readonly=on`, '-device', 'virtio-blk-device,drive=hd0', ...extra,
  ], env);
  await g.waitFor('vtrace-guest: init reached', 300_000);
  await g.waitFor(/# $/, 120_000);
  g.type('dd if=/dev/vda of=/dev/null bs=64k count=64; poweroff -f\n');
  const code = await g.exited(300_000);
  return { code, out: g.output(), err: g.stderr() };
}

/** System.map as nm -n would list it. */
function systemMap(): Array<{ addr: bigint; type: string; name: string }> {
  return fs
    .readFileSync(path.join(dir!, 'System.map'), 'utf8')
    .split('\n')
    .map((l) => /^([0-9a-f]+) (\w) (\S+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ addr: BigInt(`0x${m[1]}`), type: m[2], name: m[3] }))
    .sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
}

describe.skipIf(!dir)('plugins on Linux: I/O, syscalls, execlog', () => {
  let r: Awaited<ReturnType<typeof bootDd>>;
  let facts: ReturnType<typeof recordingFacts>;
  beforeAll(async () => {
    r = await bootDd([
      '--trace-out', out('linux.vtr'), '--trace-buffer', '64M',
      '--plugin', `biolatency,disks=on,outfile=${out('biolatency.txt')}`, '--plugin', `biosnoop,outfile=${out('biosnoop.txt')}`,
      '--plugin', `blktrace,outfile=${out('blktrace.txt')}`, '--plugin', `syscount,outfile=${out('syscount.txt')}`,
      '--plugin', `execlog,limit=400,outfile=${out('execlog.txt')}`,
    ]);
    facts = recordingFacts(out('linux.vtr'));
  }, 800_000);

  test('dd read 4 MiB and the machine powered off; the recording lost nothing', () => {
    expect(r.code, r.err + r.out.slice(-2000)).toBe(0);
    expect(r.out).toContain('4194304 bytes (4.0MB) copied');
    expect(facts.lost).toBe(0);
    expect(facts.completed.size).toBeGreaterThanOrEqual(DD_SECTORS / 256);
  });

  test('biolatency: one histogram for hd0 counting every request of the recording', () => {
    const h = parseHistograms(read('biolatency.txt'));
    expect([...h.keys()]).toEqual(['disk = hd0']);
    expect(h.get('disk = hd0')!.reduce((a, b) => a + b.count, 0)).toBe(facts.completed.size);
  });

  test('biosnoop: the recording\'s reads, covering every sector dd read', () => {
    const lines = parseBiosnoop(read('biosnoop.txt'));
    expect(lines).toHaveLength(facts.completed.size);
    expect(lines.filter((l) => l.t === 'R').map((l) => `${l.sector}+${l.bytes}`)).toEqual(facts.rw.filter((x) => x.op === 'R').map((x) => `${x.sector}+${x.bytes}`));
    expect(lines.some((l) => l.t === 'W')).toBe(false); // a read-only drive, and dd only reads
    const covered = new Uint8Array(DD_SECTORS);
    for (const l of lines) for (let s = l.sector; s < l.sector + l.bytes / 512 && s < DD_SECTORS; s++) covered[s] = 1;
    expect(covered.every((c) => c === 1)).toBe(true);
  });

  test('blktrace: Q, D and C for every request', () => {
    const acts = parseBlktrace(read('blktrace.txt'));
    for (const a of ['Q', 'D', 'C']) expect(`${a} ${acts.filter((x) => x.action === a && x.rwbs === 'R').length}`).toBe(`${a} ${facts.rw.length}`);
    expect(acts.filter((x) => x.action === 'C').every((x) => x.tail === '0')).toBe(true);
  });

  test('syscount: the recording\'s syscall_exit counts, by name and by thread', () => {
    const s = parseSyscount(read('syscount.txt'));
    expect(Object.fromEntries(s.byName)).toEqual(Object.fromEntries([...facts.syscalls].sort((a, b) => b[1] - a[1]).slice(0, 10)));
    expect(new Map(s.byThread.map((t) => [`${t.tid}/${t.thread}/${t.name}`, t.count]))).toEqual(facts.syscallThreads);
    const reads = (s.byName.get('pread64') ?? 0) + (s.byName.get('preadv') ?? 0);
    expect(reads).toBeGreaterThanOrEqual(facts.rw.length);
  });

  test.skipIf(!OBJDUMP)('execlog: from the Image\'s first instruction, objdump\'s text; then it stops at its limit', () => {
    const lines = parseExeclog(read('execlog.txt'));
    expect(lines).toHaveLength(400);
    expect(read('execlog.txt')).toMatch(/execlog: limit of 400 instructions reached; logging stopped\n$/);
    expect(lines[0].pc).toBe(0x80200000n);
    const dis = objdumpBinary(OBJDUMP!, path.join(dir!, 'Image'), 0x80200000n);
    const phys = lines.filter((l) => dis.has(l.pc));
    expect(phys.length).toBeGreaterThan(100);
    for (const l of phys) expect(`0x${l.pc.toString(16)} ${l.opcode.toString(16)} ${l.text}`).toBe(`0x${l.pc.toString(16)} ${dis.get(l.pc)!.opcode.toString(16)} ${dis.get(l.pc)!.text}`);
  });
});

describe.skipIf(!dir)('hotblocks on Linux', () => {
  test('the top block is kernel code; the blocks\' executions add up to the instructions retired', { timeout: 900_000 }, async () => {
    const r = await bootDd(['--plugin', `hotblocks,limit=1000000000,outfile=${out('hotblocks.txt')}`], { VTRACE_STATS: '1' });
    expect(r.code, r.err + r.out.slice(-2000)).toBe(0);
    expect(r.out).toContain('4194304 bytes (4.0MB) copied');
    const hb = parseHotblocks(read('hotblocks.txt'));
    expect(hb.rows).toHaveLength(hb.entries);
    expect(hb.entries).toBeGreaterThan(1000);
    const top = hb.rows[0];
    expect(codeSymbolAt(systemMap(), top.pc), `top block 0x${top.pc.toString(16)}`).toMatch(/^\w+$/);
    // User space ran too (busybox at its low addresses), in blocks of its own.
    expect(hb.rows.some((b) => b.pc < 0x80000000n)).toBe(true);
    const retired = Number(/(\d+) instructions in/.exec(r.err)?.[1]);
    const executed = hb.rows.reduce((a, b) => a + b.icount * b.ecount, 0);
    expect(executed).toBeGreaterThanOrEqual(retired);
    expect(executed).toBeLessThan(retired * 1.02);
  });
});
