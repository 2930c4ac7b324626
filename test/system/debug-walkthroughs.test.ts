/**
 * docs/walkthroughs/*.md are executed: each `$ vtrace debug ...` session runs with -batch, and its
 * output must be what the document shows (test/debug/walkthrough-runner.ts says what is
 * normalized: line numbers, node names, temporary paths, thread ids, worker names, timings, and fd
 * numbers renamed consistently). A walkthrough that no longer matches the emulator fails here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO, extractSessions, matchTranscript, runSession } from '../debug/walkthrough-runner';

const DIR = path.join(REPO, 'docs', 'walkthroughs');
const docs = fs.readdirSync(DIR).filter((f) => f.endsWith('.md')).sort();

describe('docs/walkthroughs', () => {
  test('there are the three walkthroughs of the debugging issue, each with a session', () => {
    expect(docs).toEqual(['01-openat-to-fd.md', '02-eventfd-to-device.md', '03-three-stacks.md']);
    for (const d of docs) expect(extractSessions(fs.readFileSync(path.join(DIR, d), 'utf8')).length).toBeGreaterThan(0);
  });

  for (const doc of docs) {
    const sessions = extractSessions(fs.readFileSync(path.join(DIR, doc), 'utf8'));
    sessions.forEach((s) => {
      test(`${doc}: the session at line ${s.line} prints what the document shows`, async () => {
        const r = await runSession(s);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const mismatch = matchTranscript(s.expected, r.transcript);
        expect(mismatch, `${mismatch}\n--- actual transcript ---\n${r.transcript.join('\n')}`).toBeNull();
      }, 180_000);
    });
  }
});
