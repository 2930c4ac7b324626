/**
 * Reading `strace -f -o FILE` logs (and `vtrace strace -f -o FILE`, which prints the same form) for
 * the trace system tests: lines "TID name(args) = ret", with "<unfinished ...>" / "<... resumed>"
 * halves joined, and the calls that concern one image file (its openat, and every call on the fds
 * those opens returned, while open).
 */

export interface StraceCall {
  tid: number;
  name: string;
  args: string;
  ret: number;
  /** `name(args) = ret`, spacing before `=` normalised. */
  text: string;
}

export function parseStraceF(log: string): StraceCall[] {
  const calls: StraceCall[] = [];
  const pending = new Map<number, { name: string; head: string }>();
  for (const line of log.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const tid = Number(m[1]);
    let rest = m[2];
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(rest);
    if (resumed) {
      const p = pending.get(tid);
      if (!p) continue;
      pending.delete(tid);
      rest = `${p.name}(${p.head}${resumed[2]}`;
    } else {
      const call = /^(\w+)\((.*)$/.exec(rest);
      if (!call) continue;
      const unfinished = / <unfinished \.\.\.>$/.exec(rest);
      if (unfinished) {
        pending.set(tid, { name: call[1], head: call[2].slice(0, call[2].length - unfinished[0].length) });
        continue;
      }
    }
    const done = /^(\w+)\((.*)\)\s+=\s+(.*)$/.exec(rest);
    if (!done) continue;
    const ret = Number(/^-?\d+/.exec(done[3])?.[0] ?? NaN);
    calls.push({ tid, name: done[1], args: done[2], ret, text: `${done[1]}(${done[2]}) = ${done[3]}` });
  }
  return calls;
}

/** The image's openat calls and the calls on the fds they returned (until closed), in order. */
export function imageCalls(calls: StraceCall[], image: string): StraceCall[] {
  const open = new Set<number>();
  const out: StraceCall[] = [];
  const quotedImage = `"${image}"`;
  for (const c of calls) {
    if (c.name === 'openat') {
      if (c.args.includes(quotedImage)) {
        out.push(c);
        if (c.ret >= 0) open.add(c.ret);
      }
      continue;
    }
    const fd = Number(/^(\d+)/.exec(c.args)?.[1] ?? NaN);
    if (!open.has(fd)) continue;
    out.push(c);
    if (c.name === 'close' && c.ret === 0) open.delete(fd);
  }
  return out;
}
