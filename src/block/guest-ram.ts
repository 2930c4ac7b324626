/**
 * Guest RAM as the block layer of one thread sees it (the emulator thread's main loop, or an
 * iothread's context): O_DIRECT probing may use it in place (file-posix-align), the context's
 * pool workers know it from the first request on (no per-request hand-off), and syscall records
 * show its buffers at their guest-physical addresses (strace's `0x80...` for a buffer it cannot
 * print). Call once per thread and context before the guest runs.
 */
import type { AioContext } from '../util/aio-context';
import type { GuestRam } from '../system/memory';
import { setBufferBase } from '../host/record';
import { file_posix_register_buffer } from './file-posix-align';
import { file_posix_register_buffer as file_posix_register_pool_buffer } from './file-posix';

export function registerGuestRam(ram: GuestRam, ctx: AioContext): void {
  file_posix_register_buffer(ram.buffer);
  file_posix_register_pool_buffer(ctx, ram.buffer, ram.base);
  setBufferBase(ram.buffer, ram.base);
}
