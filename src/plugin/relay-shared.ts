/**
 * What the plugin relay's two sides share (relay.ts on the emulator thread, relay-worker.ts in pool
 * workers and iothreads): the environment-data key, the iothread function that updates the list of
 * names, and the messages. Plain data only, so the threads that relay load little.
 */

export const RELAY_KEY = 'vtrace:plugin-relay';

/** Registered in iothreads by relay-worker.ts: a newer RelayLink (names subscribed later). */
export const RELAY_LINK_FN = 'plugin_relay_link';

export interface RelayLink {
  channel: string;
  /** Tracepoint names the threads observe. */
  names: string[];
  ringBytes: number;
}

export interface RelayRegistration {
  ring: SharedArrayBuffer;
  tid: number;
  name: string;
}
