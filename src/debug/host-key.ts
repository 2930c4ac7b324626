/**
 * The worker_threads environment-data key by which `vtrace debug` (main thread) tells the emulator
 * thread it serves the debug console (src/debug/host.ts). Set before the emulator thread starts.
 * No other imports: the front end loads it without the emulator's modules.
 */
export const DEBUG_CONSOLE_KEY = 'vtrace.debug.console';
