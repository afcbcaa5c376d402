/**
 * Reading a bounded request body, whole or not at all.
 *
 * @module
 */
import { _HttpError } from "./_http_error.ts";

/**
 * Reads the whole body of `request`, refusing (413) as soon as it is known
 * to be longer than `limit` bytes: from `Content-Length`, or while reading,
 * so that no more than `limit` plus one chunk is ever held.
 *
 * A body that is not whole is a 400 `INCOMPLETE_BODY`: the stream errored
 * (the connection broke, a bad chunk size), or it ended with fewer or more
 * bytes than `Content-Length` declared. Whether a chunked body ended with
 * its terminating chunk only the HTTP server can tell: the Node adapter of
 * `src/server/main.ts` errors the stream when it did not (`_guardNodeBody`).
 */
export async function _readBody(request: Request, limit: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new _HttpError(
      413,
      "PAYLOAD_TOO_LARGE",
      `Cannot accept rule set: the body is larger than the limit of ${limit} bytes`,
      { limit },
    );
  const header = request.headers.get("content-length");
  const declared = header === null ? null : Number(header);
  if (declared !== null && declared > limit) throw tooLarge();
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await reader.read();
    } catch (error) {
      throw _incomplete(`the upload broke after ${total} bytes (${_reason(error)})`, total);
    }
    if (result.done) break;
    total += result.value.length;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(result.value);
  }
  if (declared !== null && total !== declared) {
    throw _incomplete(
      `${total} bytes arrived of the ${header} that Content-Length declared`,
      total,
    );
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

function _incomplete(reason: string, received: number): _HttpError {
  return new _HttpError(400, "INCOMPLETE_BODY", `Cannot read body: ${reason}`, { received });
}

function _reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
