// @ts-check
/**
 * execlog — every executed guest instruction with its memory accesses, as QEMU's
 * contrib/plugins/execlog.c (QEMU 7.2): one line per instruction, printed when the next one
 * starts (so the accesses are complete), the last one at exit:
 *
 *   0, 0x80200040, 0x5297, "auipc t0,0x5"
 *   0, 0x80200074, 0x2b023, "sd zero,0(t0)", store, 0x80206000, RAM
 *
 *   vCPU index, pc, encoding (the 16-bit parcel for a compressed instruction; QEMU prints the
 *   32 bits at pc), objdump's disassembly (src/target/riscv/disas), then per access `load` or
 *   `store`, the guest-physical address and `RAM` or the device's region name.
 *
 *   vtrace run --plugin execlog                         everything (slow, and large: use outfile=)
 *   vtrace run --plugin execlog,outfile=exec.log
 *   vtrace run --plugin execlog,ifilter=sd,ifilter=ld   only instructions whose text starts so (QEMU's)
 *   vtrace run --plugin execlog,afilter=0x80200040      only the instruction at that address (QEMU's)
 *   vtrace run --plugin execlog,limit=10000             stop after 10000 lines (vtrace's): the vCPUs
 *                                                       then run at full speed again
 *
 * As in QEMU, a filter "latches": the accesses logged are those of the matching instructions.
 */
'use strict';

/** @type {import('../src/plugin/api').PluginInstall} */
function install(api, args) {
  args.only('ifilter', 'afilter', 'limit');
  const imatches = args.all('ifilter');
  const amatches = args.all('afilter').map((a) => {
    if (!/^(0x)?[0-9a-f]+$/i.test(a)) throw api.error(`afilter=${a}: a hexadecimal address is expected`);
    return BigInt(a.startsWith('0x') || a.startsWith('0X') ? a : `0x${a}`);
  });
  const limit = args.int('limit', 0, 0);
  const filtering = imatches.length > 0 || amatches.length > 0;
  /** The line of each vCPU's previous instruction, completed by its accesses. */
  /** @type {string[]} */
  const last = [];
  let lines = 0;
  let stop = () => {};

  const flushLast = () => {
    for (let i = 0; i < last.length; i++) {
      if (last[i]) api.print(`${last[i]}\n`);
      last[i] = '';
    }
  };

  stop = api.onTbTrans((tb) => {
    for (const insn of tb.insns) {
      const text = insn.disas();
      const keep = !filtering || imatches.some((m) => text.startsWith(m)) || amatches.includes(insn.vaddr);
      if (!keep) continue;
      const head = `0x${insn.vaddr.toString(16)}, 0x${insn.opcode.toString(16)}, "${text}"`;
      insn.onExec((vcpu) => {
        const i = vcpu.index;
        if (last[i]) {
          api.print(`${last[i]}\n`);
          if (limit > 0 && ++lines >= limit) {
            last[i] = '';
            flushLast();
            api.print(`execlog: limit of ${limit} instructions reached; logging stopped\n`);
            stop();
            return;
          }
        }
        last[i] = `${i}, ${head}`;
      });
      insn.onMem((vcpu, access) => {
        const i = vcpu.index;
        if (last[i]) last[i] += `, ${access.store ? 'store' : 'load'}, 0x${access.paddr.toString(16).padStart(8, '0')}, ${access.device}`;
      });
    }
  });
  api.onExit(flushLast);
}

module.exports = { install };
