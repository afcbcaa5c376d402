/**
 * Constant-time comparison of secrets.
 *
 * @module
 */
const _encoder = new TextEncoder();

/**
 * Compares two strings in time independent of where they differ and of the
 * secret's length: both are hashed with SHA-256 and the digests compared
 * with no early exit.
 */
export async function _timingSafeEqual(given: string, secret: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", _encoder.encode(given)),
    crypto.subtle.digest("SHA-256", _encoder.encode(secret)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= x[i] ^ y[i];
  return difference === 0;
}
