/** Registers one vitest test per (seed, profile) of random instruction streams (programs/random.ts). */
import { describe, expect, test } from 'vitest';
import { diffProgram } from './harness';
import { PROFILES, randomProgram } from './programs/random';

export const COUNT = 2500;

export function randomTests(title: string, cases: Array<[seed: number, profile: keyof typeof PROFILES]>): void {
  describe(title, () => {
    for (const [seed, profile] of cases) {
      test(`seed ${seed}, ${profile} mix, ${COUNT} instructions`, { timeout: 120_000 }, async (ctx) => {
        await diffProgram(ctx, `random-${profile}-${seed}`, randomProgram(seed, COUNT, PROFILES[profile]), {
          checkQemu: (r) => expect(r.steps).toBeGreaterThan(COUNT),
        });
      });
    }
  });
}
