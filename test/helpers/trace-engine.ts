/**
 * Chrome DevTools' own trace engine (@paulirish/trace_engine) over a Chrome Trace Event Format
 * export: the parsed data, and whatever the engine logged as errors while parsing (a clean export
 * leaves none). Shared by the export tests (test/trace/export.test.ts, test/system/trace-linux.test.ts).
 */
export async function parseWithTraceEngine(traceEvents: unknown[]) {
  const Trace = await import('@paulirish/trace_engine');
  // The engine expects a browser's DOMRect.
  (globalThis as { DOMRect?: unknown }).DOMRect ??= class {
    constructor(public x = 0, public y = 0, public width = 0, public height = 0) {}
  };
  const errors: unknown[] = [];
  const origError = console.error;
  console.error = (...a: unknown[]) => errors.push(a.join(' '));
  try {
    const model = Trace.TraceModel.Model.createWithAllHandlers();
    await model.parse(traceEvents as never);
    return { data: model.parsedTrace()!.data, errors };
  } finally {
    console.error = origError;
  }
}
