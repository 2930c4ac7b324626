/**
 * Perfetto DebugAnnotations (protos/perfetto/trace/track_event/debug_annotation.proto: name_iid=1,
 * bool_value=2, int_value=4, string_value=6) of a record's arguments and correlation ids, written
 * straight from the record's bytes: integers as int_value (beyond 2^53: decimal strings), pointers
 * as "0x..." strings, bools, strings (NULL as "null"), then corr.req, corr.co, corr.job, corr.head,
 * corr.fd as ints — the same values the Chrome export shows. Annotation names are interned
 * (perfetto.ts): each key is its encoded `name_iid` field.
 */
import { K_BOOL, K_PTR, K_STR } from '../event-codec';
import type { RecordView } from '../record-view';
import { putBytes, putHex, putHex64, putU64, utf8 } from './bytes';
import { closeShort, putVarint, putVarint64 } from './protobuf';

export const T_ANNOTATION = 0x22;
/** DebugAnnotation.name_iid (field 1, varint). */
export const A_NAME_IID = 0x08;
const A_BOOL = 0x10;
const A_INT = 0x20;
export const A_STRING = 0x32;
export const NULL = utf8('null');
/** The correlation ids' annotation names: interned first, as iids 1..5 (perfetto.ts). */
export const CORR_NAMES = ['corr.req', 'corr.co', 'corr.job', 'corr.head', 'corr.fd'];
export const CORR_KEYS = CORR_NAMES.map((_, i) => Uint8Array.of(A_NAME_IID, i + 1));
/** Room for one annotation besides its name and string bytes. */
export const ANNOTATION_ROOM = 40;

/** Debug annotations of `v`'s arguments and correlation ids at `p` (room reserved); returns the end. */
/**
 * A DebugAnnotation's string_value: `len` bytes of `src` from `at`, or "null" when len < 0 (a
 * recorded null string). Short strings are copied byte by byte (cheaper than a subarray view).
 */
export function putStringValue(b: Uint8Array, p: number, src: Uint8Array, at: number, len: number): number {
  b[p++] = A_STRING;
  if (len < 0) {
    b[p++] = NULL.length;
    return putBytes(b, p, NULL);
  }
  p = putVarint(b, p, len);
  if (len < 48) for (let j = 0; j < len; j++) b[p++] = src[at + j];
  else {
    b.set(src.subarray(at, at + len), p);
    p += len;
  }
  return p;
}

export function putAnnotations(b: Uint8Array, p: number, v: RecordView, keys: readonly Uint8Array[]): number {
  // keys[i]: argument i's encoded name_iid field (2-4 bytes).
  const kinds = v.kinds;
  const n = v.nargs;
  for (let i = 0; i < n; i++) {
    b[p] = T_ANNOTATION;
    p += 2;
    const m = p; // one byte reserved for the length (closeShort)
    p = putBytes(b, p, keys[i]);
    const k = kinds[i];
    if (k === K_STR) {
      const at = v.strAt(i);
      p = putStringValue(b, p, v.buf, at, v.slen);
    } else if (k === K_BOOL) {
      b[p++] = A_BOOL;
      b[p++] = v.bool(i) ? 1 : 0;
    } else {
      const x = v.num(i);
      if (v.wide) {
        // Beyond 7 varint bytes: exact from the halves (a string when not a safe integer).
        v.parts(i);
        if (k !== K_PTR && v.hi < 0x200000) {
          b[p++] = A_INT;
          p = putVarint64(b, p, (v.neg ? -1 : 1) * (v.hi * 4294967296 + v.lo));
        } else {
          b[p++] = A_STRING;
          const lm = p++;
          if (k === K_PTR) {
            b[p++] = 48;
            b[p++] = 120;
          }
          if (v.neg) b[p++] = 45;
          p = k === K_PTR ? putHex64(b, p, v.hi, v.lo) : putU64(b, p, v.hi, v.lo);
          b[lm] = p - lm - 1;
        }
      } else if (k !== K_PTR) {
        b[p++] = A_INT;
        p = putVarint64(b, p, x);
      } else {
        b[p++] = A_STRING;
        const lm = p++;
        b[p++] = 48;
        b[p++] = 120;
        if (x < 0) b[p++] = 45;
        p = putHex(b, p, Math.abs(x));
        b[lm] = p - lm - 1;
      }
    }
    p = closeShort(b, m, p);
  }
  const mask = v.mask;
  for (let i = 0; i < 5; i++) {
    if ((mask & (1 << i)) === 0) continue;
    b[p] = T_ANNOTATION;
    p += 2;
    const m = p; // one byte reserved for the length (closeShort)
    b[p++] = A_NAME_IID;
    b[p++] = i + 1;
    b[p++] = A_INT;
    p = closeShort(b, m, putVarint64(b, p, v.corr[i]));
  }
  return p;
}
