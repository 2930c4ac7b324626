/**
 * Prints the plain closing line CI reads: `N passed, N failed, N skipped`, after vitest's own
 * summary. Counts individual tests (not files); a file that failed to load counts as one failure.
 */
import type { Reporter } from 'vitest/reporters';
import type { RunnerTask, RunnerTestFile } from 'vitest';

function walk(task: RunnerTask, counts: { passed: number; failed: number; skipped: number }): void {
  if (task.type === 'suite') {
    for (const child of task.tasks) walk(child, counts);
    return;
  }
  const state = task.result?.state;
  if (state === 'pass') counts.passed++;
  else if (state === 'fail') counts.failed++;
  else counts.skipped++;
}

export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const file of files) {
      if (file.result?.state === 'fail' && file.tasks.length === 0) counts.failed++;
      for (const t of file.tasks) walk(t, counts);
    }
    counts.failed += errors.length;
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
