/**
 * The guest gdb stub packet by packet, over a real socket to a real `vtrace run -S -gdb tcp::0`
 * on the embedded default guest (two harts, built-in SBI: hart 0 enters the guest at 0x80200000
 * in S-mode, hart 1 waits halted for an HSM start). The guest's first instructions are known from
 * guest/default/start.S: `j _entry`, then `lla t0, boot_lottery` (auipc+addi) and an amoadd.w on
 * it, which the watchpoint cases use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { REPO } from '../helpers/spawn-guest';
import { hexLeToBigint, RspClient } from '../target/riscv/diff/rsp-client';
import { RawRsp, registerMap, startVtraceStub, type VtraceStub } from './helpers';

const ENTRY = 0x8020_0000n;
const hex = (s: string) => Buffer.from(s).toString('hex');
const unhexText = (s: string) => Buffer.from(s, 'hex').toString('utf8');
const le64 = (v: bigint) => Buffer.from(BigInt.asUintN(64, v).toString(16).padStart(16, '0'), 'hex').reverse().toString('hex');

let stub: VtraceStub | undefined;
afterEach(() => stub?.g.proc.kill('SIGKILL'));

async function start(extra: string[] = []): Promise<RspClient> {
  stub = await startVtraceStub(['-m', '128M', '-smp', '2', '-S', ...extra]);
  return RspClient.connect(stub.port);
}

const pcOf = async (c: RspClient) => hexLeToBigint(await c.request('p20'));

describe('gdb stub protocol', () => {
  test('handshake, target description, threads, registers', { timeout: 60_000 }, async () => {
    const c = await start();
    const xml = c.targetXml;
    for (const f of ['cpu', 'fpu', 'csr', 'virtual']) expect(xml).toContain(`<feature name="org.gnu.gdb.riscv.${f}">`);
    expect(xml).toContain('<architecture>riscv:rv64</architecture>');
    const regs = await registerMap(c);
    expect(regs.get('pc')).toEqual({ num: 32, bits: 64 });
    expect(regs.get('ft0')?.num).toBe(33);
    expect(regs.get('fcsr')).toEqual({ num: 68, bits: 32 });
    expect(regs.get('mstatus')?.num).toBe(65 + 0x300);
    expect(regs.get('satp')?.num).toBe(65 + 0x180);
    expect(regs.get('priv')?.num).toBe(65 + 4096);

    expect(await c.request('?')).toBe('T05thread:p01.01;');
    expect(await c.batch(['qfThreadInfo', 'qsThreadInfo', 'qC', 'qAttached:1', 'Tp01.02', 'Tp01.03', 'T0'])).toEqual([
      'mp01.01,p01.02', 'l', 'QCp01.01', '1', 'OK', 'E22', 'E22',
    ]);
    expect(unhexText(await c.request('qThreadExtraInfo,p01.01'))).toBe('hart 0 [S-mode]');
    expect(unhexText(await c.request('qThreadExtraInfo,p01.02'))).toBe('hart 1 [halted]');

    const g = await c.request('g');
    expect(g).toHaveLength(33 * 16);
    expect(hexLeToBigint(g.slice(32 * 16))).toBe(ENTRY);
    expect(await pcOf(c)).toBe(ENTRY);
    expect(hexLeToBigint(g.slice(10 * 16, 11 * 16))).toBe(0n); // a0 = hartid
    expect(hexLeToBigint(await c.request('p' + (65 + 4096).toString(16)))).toBe(1n); // S-mode
    const misa = hexLeToBigint(await c.request('p' + (65 + 0x301).toString(16)));
    for (const ext of 'acdfimsu') expect(misa & (1n << BigInt(ext.charCodeAt(0) - 97))).not.toBe(0n);
    expect(await c.request('p44')).toMatch(/^[0-9a-f]{8}$/); // fcsr: 32 bits

    // Writes: P to a GPR, G round trip, a CSR, priv; bad ones refused.
    expect(await c.request(`P5=${le64(0x1234_5678_9abc_def0n)}`)).toBe('OK');
    expect(hexLeToBigint(await c.request('p5'))).toBe(0x1234_5678_9abc_def0n);
    const g2 = await c.request('g');
    expect(g2.slice(5 * 16, 6 * 16)).toBe(le64(0x1234_5678_9abc_def0n));
    expect(await c.request('G' + g)).toBe('OK');
    expect(await c.request('g')).toBe(g);
    expect(await c.request(`P${(65 + 0x140).toString(16)}=${le64(0xfeedn)}`)).toBe('OK'); // sscratch
    expect(hexLeToBigint(await c.request('p' + (65 + 0x140).toString(16)))).toBe(0xfeedn);
    expect(await c.request(`P${(65 + 4096).toString(16)}=${le64(2n)}`)).toBe('E14'); // priv 2 is reserved
    expect(await c.batch(['p7fff', 'P5=12', 'G00', 'pzz'])).toEqual(['E14', 'E14', 'E22', 'E22']);

    // The other hart through Hg.
    expect(await c.request('Hgp01.02')).toBe('OK');
    expect(hexLeToBigint(await c.request('p' + (65 + 0xf14).toString(16)))).toBe(1n); // mhartid
    expect(await c.batch(['Hgp01.09', 'Hx1', 'Hgp01.01'])).toEqual(['E22', 'E22', 'OK']);
    await c.kill();
    expect(await stub!.g.exited(20_000)).toBe(0);
  });

  test('memory: virtual, physical mode, binary writes, faults', { timeout: 60_000 }, async () => {
    const c = await start();
    const image = fs.readFileSync(path.join(REPO, 'guest', 'default', 'default.bin'));
    expect(await c.request('m80200000,40')).toBe(image.subarray(0, 64).toString('hex'));
    const scratch = 0x8100_0000n;
    expect(await c.request(`M${scratch.toString(16)},4:deadbeef`)).toBe('OK');
    expect(await c.request(`m${scratch.toString(16)},4`)).toBe('deadbeef');
    // X with bytes that must be escaped on the wire ($ # } *), then read back. (RspClient writes
    // strings as UTF-8: bytes >= 0x80 are covered by the RawRsp test below.)
    const bin = Buffer.from([0x24, 0x23, 0x7d, 0x2a, 0x00, 0x7f]);
    expect(await c.request(`X${scratch.toString(16)},6:${bin.toString('latin1')}`)).toBe('OK');
    expect(await c.request(`m${scratch.toString(16)},6`)).toBe(bin.toString('hex'));
    expect(await c.request(`X${scratch.toString(16)},0:`)).toBe('OK');
    // The mask ROM reads (reset vector at 0x1000); MMIO and holes do not.
    expect(await c.request('m1000,4')).toMatch(/^[0-9a-f]{8}$/);
    expect(await c.batch(['m10000000,4', 'm0,4', 'M0,2:1234', 'm80200000', 'M80200000,2:123', 'Mzz,1:00'])).toEqual(['E14', 'E14', 'E14', 'E22', 'E22', 'E22']);
    // A read that runs off the end of RAM returns the readable prefix.
    expect(await c.request('m87ffffff,2')).toMatch(/^[0-9a-f]{2}$/);
    // Physical mode (QEMU's Qqemu.PhyMemMode): same RAM here (satp is 0 at entry).
    expect(await c.batch(['qqemu.PhyMemMode', 'Qqemu.PhyMemMode:1', 'qqemu.PhyMemMode'])).toEqual(['0', 'OK', '1']);
    expect(await c.request(`m${scratch.toString(16)},4`)).toBe('24237d2a');
    expect(await c.batch(['Qqemu.PhyMemMode:2', 'Qqemu.PhyMemMode:0'])).toEqual(['E22', 'OK']);
    await c.kill();
  });

  test('breakpoints, watchpoints, vCont steps, system_reset', { timeout: 60_000 }, async () => {
    const c = await start();
    expect(await c.request('vCont?')).toBe('vCont;c;C;s;S');
    expect(await c.request('vCont;s:p01.01;c')).toBe('T05thread:p01.01;');
    const entry = await pcOf(c); // _entry, the target of `j _entry`
    expect(entry).toBeGreaterThan(ENTRY);
    expect(await c.step()).toBe('T05thread:p01.01;');
    expect(await c.step()).toBe('T05thread:p01.01;');
    const lottery = hexLeToBigint(await c.request('p5')); // t0 = &boot_lottery
    expect(lottery).toBeGreaterThan(entry);
    const back = async () => {
      expect(await c.request('qRcmd,' + hex('system_reset'))).toBe('OK');
      expect(await pcOf(c)).toBe(ENTRY);
    };

    // The amoadd.w on boot_lottery reads and writes it: each watch kind fires with its address.
    for (const [z, name] of [['2', 'watch'], ['3', 'rwatch'], ['4', 'awatch']] as const) {
      await back();
      expect(await c.request(`Z${z},${lottery.toString(16)},4`)).toBe('OK');
      expect(await c.cont()).toBe(`T05thread:p01.01;${name}:${lottery.toString(16)};`);
      expect(await c.request(`z${z},${lottery.toString(16)},4`)).toBe('OK');
      expect(await c.request(`z${z},${lottery.toString(16)},4`)).toBe('E22');
    }
    // Software and hardware breakpoints on _entry.
    for (const [z, name] of [['0', 'swbreak'], ['1', 'hwbreak']] as const) {
      await back();
      expect(await c.request(`Z${z},${entry.toString(16)},4`)).toBe('OK');
      expect(await c.cont()).toBe(`T05thread:p01.01;${name}:;`);
      expect(await pcOf(c)).toBe(entry);
      expect(await c.request(`z${z},${entry.toString(16)},4`)).toBe('OK');
    }
    expect(await c.batch(['Z9,0,4', 'Z0,zz,4', 'Z2,80000000,0', 'z0,1234,4'])).toEqual(['', 'E22', 'E22', 'E22']);

    await c.kill();
  });

  test('monitor commands (qRcmd), in ack mode without qSupported', { timeout: 60_000 }, async () => {
    stub = await startVtraceStub(['-m', '128M', '-smp', '2', '-S']);
    const r = await RawRsp.connect(stub.port);
    const monitor = async (line: string) => {
      r.send('qRcmd,' + hex(line));
      let out = '';
      for (;;) {
        const p = await r.next();
        if (!p.startsWith('O') || p === 'OK') return { out, end: p };
        out += unhexText(p.slice(1));
      }
    };
    const regs = await monitor('info registers');
    expect(regs.end).toBe('OK');
    expect(regs.out).toMatch(/^ pc {7}0000000080200000\n/);
    expect(regs.out).toContain(' mstatus  ');
    expect(regs.out).toContain(' priv     S\n');
    expect(regs.out).toMatch(/ x1\/ra {4}[0-9a-f]{16}/);
    expect((await monitor('info registers 1')).out).toMatch(/ mhartid  0000000000000001\n/);
    expect((await monitor('info cpus')).out).toMatch(/^\* CPU #0: pc=0x0000000080200000 priv=S\n {2}CPU #1: pc=0x[0-9a-f]{16} priv=[MS] \(halted\)\n$/);
    // The console (src/debug) replaces `help` with its own list when installed: just a listing.
    const help = await monitor('help');
    expect(help.end).toBe('OK');
    expect(help.out.split('\n').length).toBeGreaterThan(3);
    const bad = await monitor('frobnicate now');
    expect(bad.end).toBe('OK'); // as QEMU: the error text reaches gdb as output, the packet succeeds
    expect(bad.out).toMatch(/frobnicate.*\n$/);
    expect(await r.request('qRcmd,zz')).toBe('E22');
    // Binary writes with every byte value, in ack mode.
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(await r.request(`X81000000,100:${all.toString('latin1')}`)).toBe('OK');
    expect(await r.request('m81000000,100')).toBe(all.toString('hex'));
    // Without multiprocess, thread ids are plain.
    expect(await r.request('?')).toBe('T05thread:01;');
    expect(await r.request('qC')).toBe('QC01');
    r.close();
  });

  test('detach lets the guest run on to poweroff; continue to poweroff gets W', { timeout: 60_000 }, async () => {
    let c = await start();
    expect(await c.request('Z0,80200000,4')).toBe('OK'); // removed by the detach
    expect(await c.request('D;1')).toBe('OK');
    expect(await stub!.g.exited(30_000)).toBe(0);
    expect(stub!.g.output()).toMatch(/vtrace default guest: all \d+ checks passed/);

    c = await start();
    expect(await c.cont()).toBe('W00;process:1');
    expect(await stub!.g.exited(30_000)).toBe(0);
  });
});
