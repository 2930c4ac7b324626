/**
 * Test helper: src/host transpiled to CommonJS in a temporary directory, for code that runs outside
 * vitest's TypeScript loader (worker_threads, child `node` processes under strace). Each module is
 * transpiled on its own (imports inside src/host are relative, so they resolve in the copy).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';

let compiled: string | undefined;

/** The directory holding src/host/*.js (compiled once per test file; removeCompiledHost in afterAll). */
export function compileHost(): string {
  if (compiled) return compiled;
  const srcDir = path.resolve(__dirname, '../../src/host');
  const outDir = mkdtempSync(path.join(tmpdir(), 'vtrace-host-'));
  for (const file of readdirSync(srcDir)) {
    if (!file.endsWith('.ts')) continue;
    const out = ts.transpileModule(readFileSync(path.join(srcDir, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: file,
    });
    writeFileSync(path.join(outDir, file.replace(/\.ts$/, '.js')), out.outputText);
  }
  compiled = outDir;
  return outDir;
}

export function removeCompiledHost(): void {
  if (compiled) rmSync(compiled, { recursive: true, force: true });
  compiled = undefined;
}
