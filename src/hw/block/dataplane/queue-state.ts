/**
 * The part of a VirtQueue that moves between the emulator thread and the iothread when a
 * dataplane starts or stops (QEMU shares the VirtQueue itself; JS threads copy it): the ring
 * addresses and size, and the indexes the device keeps. Plain data, structured-clonable.
 */
import type { VirtQueue } from '../../virtio/virtio';

export interface DpQueueState {
  index: number;
  num: number;
  desc: number;
  avail: number;
  used: number;
  last_avail_idx: number;
  shadow_avail_idx: number;
  used_idx: number;
  signalled_used: number;
  signalled_used_valid: boolean;
  notification: boolean;
  inuse: number;
}

export function dp_queue_state(vq: VirtQueue): DpQueueState {
  return {
    index: vq.queue_index,
    num: vq.vring.num,
    desc: vq.vring.desc,
    avail: vq.vring.avail,
    used: vq.vring.used,
    last_avail_idx: vq.last_avail_idx,
    shadow_avail_idx: vq.shadow_avail_idx,
    used_idx: vq.used_idx,
    signalled_used: vq.signalled_used,
    signalled_used_valid: vq.signalled_used_valid,
    notification: vq.notification,
    inuse: vq.inuse,
  };
}

/** Apply `st` to `vq`; `rings`: also the addresses and size (the iothread's copy at start). */
export function dp_queue_restore(vq: VirtQueue, st: DpQueueState, rings: boolean): void {
  if (rings) {
    vq.vring.num = st.num;
    vq.vring.desc = st.desc;
    vq.vring.avail = st.avail;
    vq.vring.used = st.used;
  }
  vq.last_avail_idx = st.last_avail_idx;
  vq.shadow_avail_idx = st.shadow_avail_idx;
  vq.used_idx = st.used_idx;
  vq.signalled_used = st.signalled_used;
  vq.signalled_used_valid = st.signalled_used_valid;
  vq.notification = st.notification;
  vq.inuse = st.inuse;
}
