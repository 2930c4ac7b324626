/** `vtrace dash --help`'s examples and keys (kept apart so that `vtrace --help` loads no charts). */
export const DASH_HELP = `
  vtrace dash boot.vtr                 charts of a recording (made with --trace-out)
  vtrace dash /tmp/vtrace.sock         a live run started with --control-socket /tmp/vtrace.sock
  --interval TIME   sample interval for a recording (units ns, us, ms, s; default: ~60 samples)
Charts: IOPS and MB/s over time, the log2 latency histogram (µs, biolatency's buckets), queue
depth and busy pool workers, guest MIPS. q, Esc or Ctrl-C quits. Needs a terminal.`;
