/** The errno values the qcow2 driver returns: the block layer's, plus ERANGE (asm-generic 34). */
export { EACCES, EFBIG, EINVAL, EIO, ENOTSUP, EPERM } from '../errno';
export const ERANGE = 34;
