/**
 * The list of block drivers (QEMU's bdrv_drivers list, bdrv_register, bdrv_find_format).
 * Drivers register themselves when their module loads; src/block/drivers.ts loads them all.
 *
 * Contract: main loop thread; no imports, so any driver can register without import cycles.
 */
import type { BlockDriver } from './block-int';

const bdrv_drivers: BlockDriver[] = [];

export function bdrv_register(drv: BlockDriver): void {
  if (!bdrv_drivers.includes(drv)) bdrv_drivers.push(drv);
}

/** bdrv_find_format: a driver by format_name ("raw", "file", "qcow2"), or null. */
export function bdrv_find_format(name: string): BlockDriver | null {
  return bdrv_drivers.find((d) => d.format_name === name) ?? null;
}

/** Every registered driver, in registration order. */
export function bdrv_driver_list(): readonly BlockDriver[] {
  return bdrv_drivers;
}
