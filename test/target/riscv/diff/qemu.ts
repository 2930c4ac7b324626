/**
 * Start Debian's qemu-system-riscv64 as the oracle: `-M virt -bios none` (M-mode from the reset ROM
 * at 0x1000, no firmware), stopped at reset with its gdb stub on a random free TCP port, and connect
 * an RspClient to it. The CPU model is the plain RV64GC hart our emulator implements: QEMU 7.2's
 * `rv64` defaults add H, Zb*, Sstc and PMP, which are switched off so that misa, mstatus and the CSR
 * set are comparable (PMP off also lets S/U-mode reach RAM without PMP entries).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { RspClient } from './rsp-client';

export const QEMU = 'qemu-system-riscv64';
export const QEMU_CPU = 'rv64,h=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false,pmp=false,debug=false';
export const RAM_SIZE = 128 * 1024 * 1024;

/** QEMU processes still running; killed if this process exits first (e.g. a test timed out). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export function haveQemu(): boolean {
  return spawnSync(QEMU, ['--version'], { stdio: 'ignore' }).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export class QemuInstance {
  private constructor(
    readonly proc: ChildProcess,
    readonly gdb: RspClient,
    readonly port: number,
    private stderr: () => string,
  ) {}

  /** Launch QEMU with `kernel` (ELF or flat binary loaded at 0x8000_0000) and connect to its stub. */
  static async start(kernel: string, extraArgs: string[] = []): Promise<QemuInstance> {
    let lastErr: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const args = [
        '-M', 'virt', '-cpu', QEMU_CPU, '-m', `${RAM_SIZE >> 20}M`, '-smp', '1',
        '-bios', 'none', '-nographic', '-monitor', 'none', '-serial', 'none', '-no-reboot',
        '-kernel', kernel, '-gdb', `tcp:127.0.0.1:${port}`, '-S', ...extraArgs,
      ];
      const proc = spawn(QEMU, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      live.add(proc);
      proc.once('exit', () => live.delete(proc));
      let err = '';
      proc.stderr?.setEncoding('utf8');
      proc.stderr?.on('data', (d: string) => (err += d));
      let exited = false;
      proc.once('exit', () => (exited = true));
      try {
        const gdb = await Promise.race([
          RspClient.connect(port, '127.0.0.1', 10_000),
          new Promise<never>((_, reject) => {
            const t = setInterval(() => {
              if (exited) {
                clearInterval(t);
                reject(new Error(`qemu exited: ${err.trim()}`));
              }
            }, 20);
            t.unref();
          }),
        ]);
        return new QemuInstance(proc, gdb, port, () => err);
      } catch (e) {
        lastErr = e;
        proc.kill('SIGKILL');
        // A lost race for the port: try another one. Anything else is fatal.
        if (!/bind|in use|connect|ECONNREFUSED/i.test(String(e))) break;
      }
    }
    throw new Error(`could not start QEMU: ${String(lastErr)}`);
  }

  get stderrText(): string {
    return this.stderr();
  }

  /** Kill QEMU (via the stub, then by pid) and wait for it to exit. */
  async stop(): Promise<void> {
    await this.gdb.kill();
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise<void>((r) => this.proc.once('exit', () => r()));
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 1000);
      await exited;
      clearTimeout(t);
    }
  }
}
