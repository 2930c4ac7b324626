// @ts-check
/**
 * hotblocks — the most executed guest translation blocks, as QEMU's contrib/plugins/hotblocks.c:
 * a block is counted by its start address and length (QEMU: "we can only get the starting PC for
 * each block", plus the instruction count to tell blocks apart); tcount is how many times it was
 * translated, icount its instructions, ecount its executions. vtrace forms blocks as TCG does
 * (src/plugin/tb.ts); with this plugin loaded the vCPUs run instrumented (no compiled blocks).
 *
 *   vtrace run --plugin hotblocks             the top 20 at exit
 *   vtrace run --plugin hotblocks,limit=50    the top 50 (vtrace's; QEMU's is fixed at 20)
 *   vtrace run --plugin hotblocks,inline=on   accepted as QEMU's (counting is exact either way)
 *
 * Output at exit (QEMU's format):
 *
 *   collected 812 entries in the hash table
 *   pc, tcount, icount, ecount
 *   0x0000000080200070, 1, 3, 2048
 *
 * The `hotblocks [N]` console command prints the top N so far (with each block's first
 * instruction); a TUI pane shows the top blocks live.
 */
'use strict';

/** @type {import('../src/plugin/api').PluginInstall} */
function install(api, args) {
  args.only('inline', 'limit');
  args.bool('inline', false);
  const limit = args.int('limit', 20, 1, 1e9);
  /** @type {Map<string, { pc: bigint, insns: number, trans: number, exec: number, first: string }>} */
  const blocks = new Map();

  api.onTbTrans((tb) => {
    const key = `${tb.vaddr}/${tb.insns.length}`;
    let e = blocks.get(key);
    if (e === undefined) blocks.set(key, (e = { pc: tb.vaddr, insns: tb.insns.length, trans: 0, exec: 0, first: tb.insns[0].disas() }));
    e.trans++;
    const entry = e;
    tb.onExec(() => {
      entry.exec++;
    });
  });

  const sorted = () => [...blocks.values()].sort((a, b) => b.exec - a.exec || (a.pc < b.pc ? -1 : 1));
  const line = (/** @type {{ pc: bigint, insns: number, trans: number, exec: number }} */ e) => `0x${e.pc.toString(16).padStart(16, '0')}, ${e.trans}, ${e.insns}, ${e.exec}`;

  api.addCommand('hotblocks', '[N]', 'the N (default 10) most executed blocks so far', (a) => {
    const n = a[0] === undefined ? 10 : Number(a[0]);
    if (!Number.isInteger(n) || n < 1) throw api.error(`hotblocks: N must be a positive integer, not '${a[0]}'`);
    return `pc, tcount, icount, ecount, first instruction\n${sorted().slice(0, n).map((e) => `${line(e)}, ${e.first}\n`).join('')}`;
  });
  api.addPane('hotblocks', (_w, h) => ['pc, tcount, icount, ecount', ...sorted().slice(0, Math.max(0, h - 1)).map(line)]);
  api.onExit(() => {
    const top = sorted().slice(0, limit);
    api.print(`collected ${blocks.size} entries in the hash table\n${top.length > 0 ? 'pc, tcount, icount, ecount\n' : ''}${top.map((e) => line(e) + '\n').join('')}`);
  });
}

module.exports = { install };
