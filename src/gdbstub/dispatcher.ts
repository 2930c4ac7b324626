/**
 * The packet dispatcher: one RSP packet body in, its reply out (GDB manual, "Packets", "General
 * Query Packets", "Host I/O"-free subset). Run control (c/s/vCont/?/D/k) is delegated to the
 * session (./session.ts), which owns stop replies.
 *
 * Contract: `dispatch(ctx, body)` never throws for any body: a malformed packet gets `E22`
 * (EINVAL), an access the target refuses `E14` (EFAULT), an unknown or unsupported packet the
 * empty reply. It returns null when the reply comes later (a resume: the stop reply) or never
 * (`k`). Monitor output is sent as `O` packets through `ctx.send` before the final reply.
 */
import type { GdbTarget, WatchType } from './target';
import { G_REGS } from './tdesc';
import {
  bytesToHex,
  formatThreadId,
  hexToBytes,
  parseAddrLen,
  parseHex,
  parseHexInt,
  parseThreadId,
  textToHex,
  type ThreadSel,
} from './packets';

export type ResumeRequest = { kind: 'continue'; pc?: bigint } | { kind: 'step'; hart: number; pc?: bigint };

export interface DispatchContext {
  readonly target: GdbTarget;
  /** Largest packet body (qSupported PacketSize). */
  readonly packetSize: number;
  /** Features gdb announced in qSupported. */
  multiprocess: boolean;
  swbreak: boolean;
  hwbreak: boolean;
  /** Hg / Hc threads, as hart indices. */
  gHart: number;
  cHart: number;
  /** Qqemu.PhyMemMode: m/M/X address guest-physical memory. */
  physMode: boolean;
  /** Send a packet now (O packets of qRcmd). */
  send(body: string): void;
  /** QStartNoAckMode was acknowledged: switch the framer after this reply. */
  startNoAck(): void;
  /** Stop reply for the current stop (waits for one after an interrupt when running). */
  stopStatus(): Promise<string>;
  resume(r: ResumeRequest): Promise<void>;
  detach(): Promise<void>;
  kill(): void;
}

const E_INVAL = 'E22';
const E_FAULT = 'E14';

export async function dispatch(ctx: DispatchContext, body: string): Promise<string | null> {
  try {
    return await route(ctx, body);
  } catch {
    // A request the emulator refused (bad hart, bad value) or a machine that is gone.
    return E_FAULT;
  }
}

async function route(ctx: DispatchContext, p: string): Promise<string | null> {
  const c = p[0];
  const rest = p.slice(1);
  switch (c) {
    case '?':
      return ctx.stopStatus();
    case 'g':
      return p === 'g' ? readAllRegisters(ctx) : '';
    case 'G':
      return writeAllRegisters(ctx, rest);
    case 'p': {
      const n = parseHexInt(rest);
      if (n === undefined) return E_INVAL;
      const [v] = await ctx.target.readRegisters(ctx.gHart, [n]);
      return v ?? E_FAULT;
    }
    case 'P': {
      const eq = rest.indexOf('=');
      const n = eq < 0 ? undefined : parseHexInt(rest.slice(0, eq));
      if (n === undefined) return E_INVAL;
      const [ok] = await ctx.target.writeRegisters(ctx.gHart, [{ regno: n, hex: rest.slice(eq + 1) }]);
      return ok ? 'OK' : E_FAULT;
    }
    case 'm':
      return readMemory(ctx, rest);
    case 'M':
    case 'X':
      return writeMemory(ctx, rest, c === 'X');
    case 'c':
    case 's':
    case 'C':
    case 'S':
      return resumeLegacy(ctx, c, rest);
    case 'v':
      return vPacket(ctx, rest);
    case 'H': {
      const sel = parseThreadId(p.slice(2));
      const hart = sel === undefined ? undefined : pickHart(ctx, sel, p[1] === 'g' ? ctx.gHart : ctx.cHart);
      if (hart === undefined || (p[1] !== 'g' && p[1] !== 'c')) return E_INVAL;
      if (p[1] === 'g') ctx.gHart = hart;
      else ctx.cHart = hart;
      return 'OK';
    }
    case 'T': {
      const sel = parseThreadId(rest);
      return sel?.kind === 'thread' && sel.tid >= 1 && sel.tid <= ctx.target.harts ? 'OK' : E_INVAL;
    }
    case 'Z':
    case 'z':
      return breakWatch(ctx, c === 'Z', rest);
    case 'D':
      if (p !== 'D' && !/^D;[0-9a-fA-F]+$/.test(p)) return E_INVAL;
      await ctx.detach();
      return 'OK';
    case 'k':
      ctx.kill();
      return null;
    case 'q':
    case 'Q':
      return query(ctx, p);
    default:
      return '';
  }
}

/** A hart for H/vCont: a valid thread, or the current one for "any"/"all". */
function pickHart(ctx: DispatchContext, sel: ThreadSel, current: number): number | undefined {
  if (sel.kind !== 'thread') return current;
  return sel.tid >= 1 && sel.tid <= ctx.target.harts ? sel.tid - 1 : undefined;
}

async function readAllRegisters(ctx: DispatchContext): Promise<string> {
  const regs = await ctx.target.readRegisters(ctx.gHart, Array.from({ length: G_REGS }, (_, i) => i));
  return regs.map((r) => r ?? 'xxxxxxxxxxxxxxxx').join('');
}

async function writeAllRegisters(ctx: DispatchContext, hex: string): Promise<string> {
  if (hex.length !== G_REGS * 16) return E_INVAL;
  const writes = Array.from({ length: G_REGS }, (_, i) => ({ regno: i, hex: hex.slice(i * 16, i * 16 + 16) }));
  const ok = await ctx.target.writeRegisters(ctx.gHart, writes);
  return ok.every((x) => x) ? 'OK' : E_FAULT;
}

async function readMemory(ctx: DispatchContext, args: string): Promise<string> {
  const al = parseAddrLen(args);
  if (al === undefined) return E_INVAL;
  const len = Math.min(al.len, Math.floor(ctx.packetSize / 2));
  if (len === 0) return '';
  const bytes = await ctx.target.readMemory(ctx.gHart, al.addr, len, ctx.physMode ? 'phys' : 'virt');
  return bytes.length === 0 ? E_FAULT : bytesToHex(bytes);
}

async function writeMemory(ctx: DispatchContext, args: string, binary: boolean): Promise<string> {
  const colon = args.indexOf(':');
  const al = colon < 0 ? undefined : parseAddrLen(args.slice(0, colon));
  if (al === undefined) return E_INVAL;
  const payload = args.slice(colon + 1);
  const data = binary ? Uint8Array.from(Buffer.from(payload, 'latin1')) : hexToBytes(payload);
  if (data === undefined || data.length !== al.len) return E_INVAL;
  if (data.length === 0) return 'OK';
  const n = await ctx.target.writeMemory(ctx.gHart, al.addr, data, ctx.physMode ? 'phys' : 'virt');
  return n === data.length ? 'OK' : E_FAULT;
}

/** c [addr], s [addr], C sig[;addr], S sig[;addr]: signals are ignored (no guest signals here). */
async function resumeLegacy(ctx: DispatchContext, c: string, rest: string): Promise<string | null> {
  let addrText = rest;
  if (c === 'C' || c === 'S') {
    const semi = rest.indexOf(';');
    const sig = parseHexInt(semi < 0 ? rest : rest.slice(0, semi), 0xff);
    if (sig === undefined) return E_INVAL;
    addrText = semi < 0 ? '' : rest.slice(semi + 1);
  }
  const pc = addrText === '' ? undefined : parseHex(addrText);
  if (addrText !== '' && pc === undefined) return E_INVAL;
  await ctx.resume(c === 'c' || c === 'C' ? { kind: 'continue', pc } : { kind: 'step', hart: ctx.cHart, pc });
  return null;
}

async function vPacket(ctx: DispatchContext, rest: string): Promise<string | null> {
  if (rest === 'Cont?') return 'vCont;c;C;s;S';
  if (rest.startsWith('Cont;')) {
    // vCont;action[:thread]...: one hart may step (the others stay stopped); else continue.
    let step: number | undefined;
    let any = false;
    for (const part of rest.slice(5).split(';')) {
      const m = /^([cCsS])([0-9a-fA-F]{2})?(?::(.+))?$/.exec(part);
      if (m === null || ((m[1] === 'C' || m[1] === 'S') && m[2] === undefined) || ((m[1] === 'c' || m[1] === 's') && m[2] !== undefined)) return E_INVAL;
      const sel = m[3] === undefined ? ({ kind: 'all' } as ThreadSel) : parseThreadId(m[3]);
      const hart = sel === undefined ? undefined : pickHart(ctx, sel, ctx.cHart);
      if (hart === undefined) return E_INVAL;
      any = true;
      if ((m[1] === 's' || m[1] === 'S') && step === undefined) step = hart;
    }
    if (!any) return E_INVAL;
    await ctx.resume(step !== undefined ? { kind: 'step', hart: step } : { kind: 'continue' });
    return null;
  }
  if (rest.startsWith('Kill')) {
    ctx.kill();
    return 'OK';
  }
  return '';
}

const WATCH_TYPES: Record<string, WatchType> = { '2': 'write', '3': 'read', '4': 'access' };

/** Z/z type,addr,kind[;cond...]: 0 software, 1 hardware breakpoint; 2 write, 3 read, 4 access watchpoint. */
async function breakWatch(ctx: DispatchContext, insert: boolean, args: string): Promise<string> {
  const m = /^([0-4]),([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,8})(;.*)?$/.exec(args);
  if (m === null) return /^[0-9]+,/.test(args) && !/^[0-4],/.test(args) ? '' : E_INVAL;
  const addr = parseHex(m[2])!;
  const kind = parseHexInt(m[3]);
  if (kind === undefined) return E_INVAL;
  const t = ctx.target;
  if (m[1] === '0' || m[1] === '1') {
    const k = m[1] === '0' ? 'sw' : 'hw';
    if (insert) await t.insertBreakpoint(k, addr);
    else if (!(await t.removeBreakpoint(k, addr))) return E_INVAL;
    return 'OK';
  }
  if (kind < 1 || kind > 0x10000) return E_INVAL;
  const type = WATCH_TYPES[m[1]];
  if (insert) await t.insertWatchpoint(type, addr, kind);
  else if (!(await t.removeWatchpoint(type, addr, kind))) return E_INVAL;
  return 'OK';
}

async function query(ctx: DispatchContext, p: string): Promise<string> {
  const t = ctx.target;
  if (p.startsWith('qSupported')) {
    const feats = p.length > 11 ? p.slice(11).split(';') : [];
    ctx.multiprocess = feats.includes('multiprocess+');
    ctx.swbreak = feats.includes('swbreak+');
    ctx.hwbreak = feats.includes('hwbreak+');
    const mine = [`PacketSize=${ctx.packetSize.toString(16)}`, 'qXfer:features:read+', 'vContSupported+', 'QStartNoAckMode+', 'swbreak+', 'hwbreak+'];
    if (ctx.multiprocess) mine.push('multiprocess+');
    return mine.join(';');
  }
  if (p === 'QStartNoAckMode') {
    ctx.startNoAck();
    return 'OK';
  }
  if (p.startsWith('qXfer:features:read:')) {
    const m = /^qXfer:features:read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p);
    if (m === null) return E_INVAL;
    if (m[1] !== 'target.xml') return 'E00';
    const off = parseHexInt(m[2]);
    const len = parseHexInt(m[3]);
    if (off === undefined || len === undefined) return E_INVAL;
    const xml = t.tdesc.xml;
    if (off > xml.length) return E_INVAL;
    const chunk = xml.slice(off, off + Math.min(len, ctx.packetSize - 1));
    return (off + chunk.length >= xml.length ? 'l' : 'm') + chunk;
  }
  if (p === 'qfThreadInfo') return 'm' + Array.from({ length: t.harts }, (_, i) => formatThreadId(i, ctx.multiprocess)).join(',');
  if (p === 'qsThreadInfo') return 'l';
  if (p === 'qC') return 'QC' + formatThreadId(ctx.gHart, ctx.multiprocess);
  if (p === 'qAttached' || p.startsWith('qAttached:')) return '1';
  if (p.startsWith('qThreadExtraInfo,')) {
    const sel = parseThreadId(p.slice(17));
    if (sel?.kind !== 'thread' || sel.tid < 1 || sel.tid > t.harts) return E_INVAL;
    return textToHex(await t.threadExtraInfo(sel.tid - 1));
  }
  if (p.startsWith('qRcmd,')) return monitor(ctx, p.slice(6));
  if (p === 'qSymbol::') return 'OK';
  if (p === 'qqemu.PhyMemMode') return ctx.physMode ? '1' : '0';
  if (p.startsWith('Qqemu.PhyMemMode:')) {
    const v = p.slice(17);
    if (v !== '0' && v !== '1') return E_INVAL;
    ctx.physMode = v === '1';
    return 'OK';
  }
  return '';
}

/** qRcmd: the console's commands (help, info registers, ...); output as O packets. */
async function monitor(ctx: DispatchContext, hex: string): Promise<string> {
  const bytes = hexToBytes(hex);
  if (bytes === undefined) return E_INVAL;
  const line = Buffer.from(bytes).toString('utf8');
  let out: string;
  try {
    // Loaded on first use: the console's frame reader (inspector, source maps) is not needed before.
    const { execWithLiveFrames } = require('../debug/live-frames') as typeof import('../debug/live-frames.js');
    out = await execWithLiveFrames(ctx.target.client, line);
  } catch (e) {
    out = `${e instanceof Error ? e.message : String(e)}\n`;
  }
  const chunk = Math.floor((ctx.packetSize - 1) / 2);
  const hexOut = textToHex(out);
  for (let i = 0; i < hexOut.length; i += chunk * 2) ctx.send('O' + hexOut.slice(i, i + chunk * 2));
  // As QEMU's gdbstub: a command that failed has printed its error (O packets); the packet itself
  // succeeded. An E reply would make gdb print "Protocol error with Rcmd" on top of the message.
  return 'OK';
}
