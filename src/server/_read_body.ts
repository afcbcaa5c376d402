/**
 * Reading a bounded request body.
 *
 * @module
 */
import { _HttpError } from "./_http_error.ts";

/**
 * Reads the whole body of `request`, refusing (413) as soon as it is known
 * to be longer than `limit` bytes: from `Content-Length`, or while reading,
 * so that no more than `limit` plus one chunk is ever held.
 */
export async function _readBody(request: Request, limit: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new _HttpError(
      413,
      "PAYLOAD_TOO_LARGE",
      `Cannot accept rule set: the body is larger than the limit of ${limit} bytes`,
      { limit },
    );
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw tooLarge();
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}
