import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32

function encodeTime(ms: number, len: number): string {
  let out = '';
  let t = ms;
  for (let i = 0; i < len; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(len: number): string {
  const bytes = randomBytes(len);
  let out = '';
  for (let i = 0; i < len; i++) out += ALPHABET[bytes[i]! % 32];
  return out;
}

/**
 * A prefixed, time-sortable id (ULID layout): `ord_01JDX…`. The time part comes from the caller's clock so
 * that ids sort with `created_at` even under the test clock.
 */
export function newId(prefix: string, at: Date): string {
  return `${prefix}_${encodeTime(at.getTime(), 10)}${encodeRandom(16)}`;
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** A random 9-digit remittance code that never starts with 0. */
export function newRemittanceCode(): string {
  const n = randomBytes(4).readUInt32BE(0) % 900_000_000;
  return String(100_000_000 + n);
}
