/**
 * The errno values the block layer returns (negated, QEMU's convention). Re-exports the syscall
 * layer's constants and adds the few it does not define (asm-generic numbers, as src/host/errno.ts).
 */
export { EPERM, ENOENT, EIO, EBADF, ENOMEM, EACCES, EEXIST, EISDIR, EINVAL, EFBIG, ENOSPC, EROFS, ENOSYS, EOPNOTSUPP, strerror } from '../host/errno';
export const EAGAIN = 11;
export const EBUSY = 16;
export const ENOTSUP = 95; // = EOPNOTSUPP on Linux
export const ENOMEDIUM = 123;
export const ECANCELED = 125;
