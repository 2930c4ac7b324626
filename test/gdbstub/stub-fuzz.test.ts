/**
 * Fuzzing the stub's framer and dispatcher over a real socket (issue 5: "every malformed or
 * unknown packet gets the protocol's answer, never a crash"). A seeded PRNG makes each run the
 * same. Phase 1 sends random bytes (no '#', so no packet can complete by chance, and no '-',
 * which asks for a retransmission), phase 2 mutations of valid packets, framed with a right or a
 * wrong checksum. After every step a probe
 * query must be answered; a framed packet with a right checksum must get exactly one reply of the
 * protocol's grammar before the probe's; one with a wrong checksum none. Resuming and killing
 * packets are left out (the machine must stay stopped so the probe answers come from a stopped
 * target). At the end the stub still serves gdb's ordinary packets and `k` ends vtrace with 0.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { encode } from '../../src/gdbstub/rsp-framer';
import { RawRsp, startVtraceStub, type VtraceStub } from './helpers';

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (s: string) => Buffer.from(s).toString('hex');
const PROBE = 'qThreadExtraInfo,p01.01';
const SEEDS = [
  'qSupported:multiprocess+;swbreak+;hwbreak+', 'qXfer:features:read:target.xml:0,fff', 'g', 'p20', 'p1041', 'p341',
  'P5=0000000000000000', 'P20=0000208000000000', 'm80200000,10', 'm1000,8', 'M81000000,2:abcd', 'X81000000,2:ab',
  'Z0,80200000,4', 'z0,80200000,4', 'Z1,80200010,2', 'z1,80200010,2', 'Z2,81000000,8', 'z2,81000000,8', 'Z4,81000008,4',
  'Hgp01.02', 'Hc-1', 'Tp01.01', 'qfThreadInfo', 'qsThreadInfo', 'qC', 'qAttached:1', 'qRcmd,' + hex('info threads'),
  'qRcmd,' + hex('help'), 'Qqemu.PhyMemMode:1', 'qqemu.PhyMemMode', 'Qqemu.PhyMemMode:0', 'vCont?', 'vMustReplyEmpty', '?',
  'qSymbol::', 'qOffsets', 'qTStatus', 'G' + '0'.repeat(528), 'qXfer:threads:read::0,fff',
];
const ALPHABET = '0123456789abcdefABCDEFxp.,:;=-+?$#}*\x03\x00\xff qQvVmMgGzZHT';
/** Packets that would resume, kill, detach or restart the machine. */
const RESUMING = /^([cCsSkDRri!]|vCont;|vKill|vRun|vAttach|vStopped)/;
/** Every reply the dispatcher can give: empty, OK, an error, or a data reply. */
const REPLY = /^(|OK|E[0-9a-fA-F]{2}|[0-9a-fx]+|T0[25]thread:.*|[ml][\s\S]*|QC(p01\.)?0[12]|1|0|PacketSize=.*|vCont;c;C;s;S|O[0-9a-f]*)$/;

function mutate(rnd: () => number, s: string): string {
  const pick = () => ALPHABET[Math.floor(rnd() * ALPHABET.length)];
  let out = s;
  const n = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rnd() * (out.length + 1));
    switch (Math.floor(rnd() * 7)) {
      case 0: out = out.slice(0, at) + pick() + out.slice(at + 1); break;
      case 1: out = out.slice(0, at) + pick() + out.slice(at); break;
      case 2: out = out.slice(0, at) + out.slice(at + 1); break;
      case 3: out = out.slice(0, at); break;
      case 4: out = out.slice(0, at) + 'f'.repeat(1 + Math.floor(rnd() * 40)) + out.slice(at); break;
      case 5: out = out + out.slice(at); break;
      default: out = out.slice(0, at) + '-1' + out.slice(at); break;
    }
  }
  return out;
}

let stub: VtraceStub | undefined;
afterEach(() => stub?.g.proc.kill('SIGKILL'));

describe('gdb stub fuzzing', () => {
  test('random bytes and mutated packets get the protocol\'s answers; the stub survives', { timeout: 240_000 }, async () => {
    stub = await startVtraceStub(['-m', '128M', '-smp', '2', '-S']);
    const r = await RawRsp.connect(stub.port);
    const probeReply = await r.request(PROBE);
    expect(Buffer.from(probeReply, 'hex').toString()).toBe('hart 0 [S-mode]');
    /** Send the probe and return the replies (O packets dropped) that came before its answer. */
    const sync = async (): Promise<string[]> => {
      r.send(PROBE);
      const before: string[] = [];
      for (;;) {
        const p = await r.next(15_000);
        if (p === probeReply) return before;
        if (!p.startsWith('O') || p === 'OK') before.push(p);
      }
    };
    const rnd = prng(0x5eed);

    // Phase 1: random bytes, then '$' to restart the framer, then the probe.
    for (let i = 0; i < 300; i++) {
      const len = 1 + Math.floor(rnd() * 200);
      const bytes = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)).map((b) => (b === 0x23 || b === 0x2d ? 0x24 : b)));
      r.write(bytes.toString('latin1') + '$');
      expect(await sync()).toEqual([]);
    }

    // Phase 2: mutated packets, each framed right (one reply) or with a wrong checksum (none).
    let answered = 0;
    for (let i = 0; i < 3000; i++) {
      const body = mutate(rnd, SEEDS[Math.floor(rnd() * SEEDS.length)]);
      if (RESUMING.test(body)) continue;
      let framed = encode(body);
      const corrupt = rnd() < 0.2;
      if (corrupt) framed = framed.slice(0, -2) + ((parseInt(framed.slice(-2), 16) + 1) & 0xff).toString(16).padStart(2, '0');
      r.write(framed);
      const replies = await sync();
      if (corrupt) expect(replies, JSON.stringify(body)).toEqual([]);
      else {
        expect(replies, JSON.stringify(body)).toHaveLength(1);
        expect(replies[0], JSON.stringify(body)).toMatch(REPLY);
        answered++;
      }
    }
    expect(answered).toBeGreaterThan(1500);

    // A packet longer than PacketSize is refused, the stream stays in step.
    r.write(encode('m' + '0'.repeat(0x5000)));
    expect(await sync()).toEqual(['E22']);

    // Still a working stub: ordinary packets, then k ends vtrace normally.
    expect(await r.request('qfThreadInfo')).toMatch(/^m(p01\.)?01,(p01\.)?02$/);
    expect(await r.request('g')).toMatch(/^[0-9a-f]{528}$/);
    r.send('k');
    expect(await stub.g.exited(20_000)).toBe(0);
    expect(stub.g.stderr()).not.toContain('internal error');
  });
});
