/** dtc (Debian's device-tree-compiler) as the reference decoder of DTB blobs. */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const hasDtc = spawnSync('dtc', ['--version']).status === 0;

/** `dtc -I dtb -O dts` of a blob. */
export function dtcDecompile(blob: Uint8Array): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-fdt-'));
  const f = path.join(dir, 'x.dtb');
  fs.writeFileSync(f, blob);
  try {
    return execFileSync('dtc', ['-q', '-I', 'dtb', '-O', 'dts', f], { encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
}
