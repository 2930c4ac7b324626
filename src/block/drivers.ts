/**
 * Loads every block driver (each registers itself with driver-registry.ts): file (file-posix),
 * raw, qcow2. Import this before creating a BlockBackend, and before the main AioContext's thread
 * pool is created (file-posix adds its worker module to pools created afterwards).
 */
import './file-posix';
import './raw-format';
import './qcow2/qcow2';
