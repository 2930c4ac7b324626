// The riscv64 Linux guest recipe (guest/linux/). These tests never start the
// (multi-minute) build themselves: they check the cache-key behaviour and the
// recipe files, and, when a complete build is already cached and QEMU is
// installed, boot it on real QEMU through guest/linux/qemu-smoke.sh.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const recipeDir = resolve(__dirname, '../../guest/linux');
const scratch = mkdtempSync(join(tmpdir(), 'vtrace-linux-recipe-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `build.sh --print-dir` from `dir` with the cache root set to `cache`. */
function printDir(dir: string, cache: string): string {
  const out = execFileSync('bash', [join(dir, 'build.sh'), '--print-dir'], {
    env: { ...process.env, VTRACE_GUEST_CACHE: cache },
    encoding: 'utf8',
  });
  return out;
}

describe('guest/linux recipe', () => {
  test('--print-dir prints only <cache>/<16 hex digits> and creates nothing', () => {
    const cache = join(scratch, 'cache-a');
    const out = printDir(recipeDir, cache);
    expect(out).toMatch(/^.*\n$/);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${cache.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/[0-9a-f]{16}$`));
    expect(existsSync(cache)).toBe(false);
    // Deterministic.
    expect(printDir(recipeDir, cache)).toBe(out);
  });

  test('the hash follows the recipe files and ignores the others', () => {
    const cache = join(scratch, 'cache-b');
    const copy = join(scratch, 'recipe-copy');
    cpSync(recipeDir, copy, { recursive: true });
    const base = printDir(copy, cache);
    expect(base).toBe(printDir(recipeDir, cache));

    appendFileSync(join(copy, 'qemu-smoke.sh'), '\n# not a recipe input\n');
    expect(printDir(copy, cache)).toBe(base);

    for (const f of ['init.sh', 'vtrace.config', 'busybox.config', 'build.sh']) {
      const c = join(scratch, `recipe-${f}`);
      cpSync(recipeDir, c, { recursive: true });
      appendFileSync(join(c, f), '\n# changed\n');
      expect(printDir(c, cache), f).not.toBe(base);
    }
  });

  test('the kernel fragment asks for the options the guest depends on', () => {
    const frag = readFileSync(join(recipeDir, 'vtrace.config'), 'utf8');
    const wanted = [
      '64BIT', 'MMU', 'SOC_VIRT', 'SMP', 'FPU', 'RISCV_ISA_C', 'RISCV_SBI', 'SERIAL_8250',
      'SERIAL_8250_CONSOLE', 'SERIAL_OF_PLATFORM', 'SERIAL_EARLYCON_RISCV_SBI', 'HVC_RISCV_SBI',
      'TTY', 'PRINTK', 'VIRTIO_MMIO', 'VIRTIO_BLK', 'BLK_DEV', 'BLOCK', 'EXT4_FS', 'DEVTMPFS',
      'DEVTMPFS_MOUNT', 'BINFMT_ELF', 'BINFMT_SCRIPT', 'PROC_FS', 'SYSFS', 'TMPFS',
      'BLK_DEV_INITRD', 'RD_GZIP', 'SIFIVE_PLIC', 'RISCV_TIMER', 'KALLSYMS', 'FRAME_POINTER',
      'DEBUG_INFO', 'POWER_RESET', 'POWER_RESET_SYSCON', 'POWER_RESET_SYSCON_POWEROFF',
    ];
    for (const sym of wanted) expect(frag, sym).toMatch(new RegExp(`^CONFIG_${sym}=y$`, 'm'));
    // Nothing that would need SBI extensions beyond base/TIME/IPI/RFENCE/HSM/SRST/legacy.
    expect(frag).toMatch(/^# CONFIG_RISCV_PMU_SBI is not set$/m);
    expect(readFileSync(join(recipeDir, 'busybox.config'), 'utf8')).toMatch(/^CONFIG_STATIC=y$/m);
  });

  test('init.sh is valid sh and prints the marker', () => {
    const init = join(recipeDir, 'init.sh');
    expect(spawnSync('sh', ['-n', init]).status).toBe(0);
    expect(readFileSync(init, 'utf8')).toContain('echo "vtrace-guest: init reached"');
  });

  // Real QEMU boots: only when a complete build is cached (build.sh writes
  // done.stamp last) and qemu-system-riscv64 is installed.
  const guestDir = execFileSync('bash', [join(recipeDir, 'build.sh'), '--print-dir'], { encoding: 'utf8' }).trim();
  const built = existsSync(join(guestDir, 'done.stamp'));
  const haveQemu = spawnSync('sh', ['-c', 'command -v qemu-system-riscv64']).status === 0;

  test.runIf(built && haveQemu)('the cached guest boots on QEMU (initramfs, -smp 2, ext4 on virtio-blk-mmio)', () => {
    expect(readdirSync(guestDir)).toEqual(
      expect.arrayContaining(['Image', 'vmlinux', 'initramfs.cpio.gz', 'rootfs.ext4', 'manifest.txt']),
    );
    const r = spawnSync('bash', [join(recipeDir, 'qemu-smoke.sh'), guestDir], { encoding: 'utf8', timeout: 240_000 });
    expect(r.stdout + r.stderr).toMatch(/^3 passed, 0 failed$/m);
    expect(r.status).toBe(0);
  }, 250_000);
});
