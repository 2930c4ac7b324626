/** `vtrace guest build`: runs the Linux guest recipe (guest/linux/build.sh). */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');

export function guestBuildCommand(): number {
  const script = path.join(repoRoot, 'guest', 'linux', 'build.sh');
  const r = spawnSync('bash', [script], { stdio: 'inherit' });
  return r.status ?? 1;
}
