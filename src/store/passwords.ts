// Password hashes for registered names and room keys: scrypt with a per-hash random
// salt, its parameters written into the hash so they can be raised later without
// invalidating what is stored. node:crypto is loaded on first use: a join never hashes.

import type { BinaryLike, ScryptOptions } from 'node:crypto';

/** 2^15 x 8 x 1: 32 MiB and about 100 ms a hash here; a sign-in is rare, a guess costs as much. */
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Longer passwords are refused before hashing: scrypt reads them whole. */
export const MAX_PASSWORD_BYTES = 1024;
export const MIN_PASSWORD_LENGTH = 8;

const crypto = () => process.getBuiltinModule('node:crypto');

function scrypt(password: BinaryLike, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  const opts: ScryptOptions = { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 };
  return new Promise((resolve, reject) => crypto().scrypt(password, salt, KEY_BYTES, opts, (e, key) => (e ? reject(e) : resolve(key))));
}

/** Why a new password cannot be used, or undefined. */
export function passwordProblem(password: string): string | undefined {
  if ([...password].length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return `a password may have at most ${MAX_PASSWORD_BYTES} bytes`;
  return undefined;
}

/** `scrypt$N$r$p$salt$key`, salt and key in base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto().randomBytes(SALT_BYTES);
  const key = await scrypt(password.normalize('NFC'), salt, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether a stored hash is one this module can check: anything else matches no password. */
export function isPasswordHash(hash: unknown): hash is string {
  if (typeof hash !== 'string') return false;
  const [kind, n, r, p, salt, key] = hash.split('$');
  return (
    kind === 'scrypt' &&
    [n, r, p].every((x) => x !== undefined && /^[1-9][0-9]{0,9}$/.test(x)) &&
    Number(n) <= 2 ** 20 &&
    Number(r) <= 32 &&
    Number(p) <= 16 &&
    /^[A-Za-z0-9_-]{16,}$/.test(salt ?? '') &&
    /^[A-Za-z0-9_-]{32,}$/.test(key ?? '')
  );
}

/** In constant time once hashed; a malformed hash or an oversized password matches nothing. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (!isPasswordHash(hash) || Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return false;
  const [, n, r, p, salt, key] = hash.split('$') as [string, string, string, string, string, string];
  const want = Buffer.from(key, 'base64url');
  const got = await scrypt(password.normalize('NFC'), Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return got.length === want.length && crypto().timingSafeEqual(got, want);
}

/**
 * What a proof or a grant records of the hash it was made under: its salt, which is
 * random and new with every hash. When the password or key changes, so does the salt,
 * and every proof or grant made under the old one is void without anyone having to find
 * and revoke it. The salt is no secret (sessions live on the server, and a salt alone
 * helps no guess), and taking it needs no hashing: a join into a closed room loads no crypto.
 */
export function sealOf(hash: string): string {
  return isPasswordHash(hash) ? (hash.split('$')[4] ?? '\0') : '\0';
}
