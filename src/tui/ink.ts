/**
 * Loading Ink. Ink 4+ is an ES module (and yoga-layout, under it, uses top-level await), while
 * vtrace compiles to CommonJS (tsconfig `module: node16`); `require('ink')` cannot load it. With
 * module node16 TypeScript keeps `import()` in a CommonJS file as a real dynamic import, so Ink is
 * loaded once, asynchronously, before the first render (loadInk), and components take it from
 * `ink()`.
 *
 * Contract: call `await loadInk()` before rendering any component of src/tui/ui (launch and the
 * tests do); `ink()` throws if it was not loaded. React itself is CommonJS and imported normally.
 */
const importInk = () => import('ink');

export type Ink = Awaited<ReturnType<typeof importInk>>;

let loaded: Ink | null = null;

export async function loadInk(): Promise<Ink> {
  if (loaded === null) loaded = await importInk();
  return loaded;
}

export function ink(): Ink {
  if (loaded === null) throw new Error('ink is not loaded: await loadInk() before rendering');
  return loaded;
}
