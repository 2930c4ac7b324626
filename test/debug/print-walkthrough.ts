/**
 * Print the transcripts of a walkthrough's sessions and whether they match the document (for
 * writing and updating docs/walkthroughs): npx vite-node test/debug/print-walkthrough.ts DOC.md
 */
import * as fs from 'node:fs';
import { extractSessions, matchTranscript, runSession } from './walkthrough-runner';

const doc = process.argv[process.argv.length - 1];
void (async () => {
  for (const s of extractSessions(fs.readFileSync(doc, 'utf8'))) {
    const r = await runSession(s);
    console.log(`--- session at line ${s.line} (exit ${r.code}) ---`);
    console.log(r.transcript.join('\n'));
    if (r.stderr !== '') console.log(`--- stderr ---\n${r.stderr}`);
    const m = matchTranscript(s.expected, r.transcript);
    console.log(m === null ? '--- matches the document ---' : `--- MISMATCH ---\n${m}`);
  }
})();
