import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { type Algorithm, hash as argon2Hash, verify as argon2Verify, parseOptions } from '@node-rs/argon2';

const scrypt = promisify(scryptCb) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: object,
) => Promise<Buffer>;

/**
 * Console passwords: argon2id at OWASP's current minimum (19 MiB of memory, 2 passes, 1 lane), stored as a
 * PHC string that carries its parameters. Raise these and every user's hash is rehashed at their next
 * successful sign-in (`needsRehash`).
 */
export const ARGON2_PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const ARGON2ID = 2 as Algorithm;
/** The PHC version of Argon2 1.3 (0x13), as `parseOptions` reports it. */
const ARGON2_V13 = 1;
/** Hashes written before argon2id: scrypt$N$r$p$salt$key. They still verify, and are rehashed. */
const SCRYPT_MAXMEM = 64 * 1024 * 1024;

/** How many password hashes this process has computed (hash or verify): the cost a throttle must avoid. */
export const passwordHashing = { computed: 0 };

export async function hashPassword(password: string): Promise<string> {
  passwordHashing.computed++;
  return argon2Hash(password, { ...ARGON2_PARAMS, algorithm: ARGON2ID });
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith('$argon2')) {
    passwordHashing.computed++;
    try {
      return await argon2Verify(stored, password);
    } catch {
      return false;
    }
  }
  const [alg, n, r, p, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !key) return false;
  passwordHashing.computed++;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT_MAXMEM,
  });
  return timingSafeEqual(actual, expected);
}

/** A stored hash that is not argon2id, or whose parameters are below the current ones. */
export function needsRehash(stored: string): boolean {
  if (!stored.startsWith('$argon2id$')) return true;
  try {
    const o = parseOptions(stored);
    return (
      o.version !== ARGON2_V13 ||
      o.memoryCost < ARGON2_PARAMS.memoryCost ||
      o.timeCost < ARGON2_PARAMS.timeCost ||
      o.parallelism < ARGON2_PARAMS.parallelism
    );
  } catch {
    return true;
  }
}

let dummy: Promise<string> | undefined;
/**
 * A hash at the current parameters of no one's password: an unknown email (or a user without a password) is
 * checked against it, so the answer takes as long as for a real account and does not tell which emails exist.
 */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= argon2Hash(randomBytes(16).toString('base64url'), { ...ARGON2_PARAMS, algorithm: ARGON2ID });
  return dummy;
}

/** API keys and session tokens are high-entropy, so a plain SHA-256 is the right stored form. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newApiKey(): string {
  return `tly_${randomBytes(32).toString('base64url')}`;
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
