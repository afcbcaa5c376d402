/**
 * Shell side of `@hono/node-server`: a request body that ends only when the
 * HTTP message really ended.
 *
 * Measured under Deno 2.9.6 with `@hono/node-server` 1.19: when the HTTP
 * parser fails on the connection (a bad chunk size, a malformed pipelined
 * request after a complete one) or the client goes away, the
 * `IncomingMessage` is destroyed; if the handler had not started reading
 * yet, `Readable.toWeb(incoming)` then yields no bytes and closes normally,
 * so an upload looked like a complete empty body (issue 13, finding 1). The
 * message itself knows: `complete` is false without the terminating chunk or
 * the declared length, and `errored` is set when it was destroyed.
 *
 * Also: when the app stops reading a body (413, a capture error), the
 * connection is closed after the response instead of the rest being read.
 *
 * @module
 */

/** What the guard reads of a Node `IncomingMessage` (or `Http2ServerRequest`). */
export interface _NodeMessage {
  /** True once the whole message (headers, body, terminating chunk) was parsed. */
  readonly complete: boolean;
  /** The error that destroyed the message, if any. */
  readonly errored: Error | null;
  /** The connection. */
  readonly socket?: { destroy(): void } | null;
}

/** What the guard uses of the Node response. */
export interface _NodeResponse {
  readonly writableFinished: boolean;
  once(event: "close" | "finish", listener: () => void): unknown;
}

/**
 * `request` with a body that errors instead of ending when `incoming` did
 * not end as a complete HTTP message; requests without a body pass as they are.
 */
export function _guardNodeBody(
  request: Request,
  incoming: _NodeMessage | undefined,
  outgoing?: _NodeResponse,
): Request {
  if (!incoming || request.method === "GET" || request.method === "HEAD" || !request.body) {
    return request;
  }
  const source = request.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await source.read();
      if (!done) {
        controller.enqueue(value);
        return;
      }
      const problem = _incompleteReason(incoming);
      if (problem === null) controller.close();
      else controller.error(new Error(problem));
    },
    cancel(reason) {
      // The app wants no more of this body: close the connection once the
      // response is out, instead of letting the server read and discard
      // the rest (up to 64 MiB per connection in @hono/node-server).
      if (outgoing) {
        const close = () => incoming.socket?.destroy();
        if (outgoing.writableFinished) close();
        else outgoing.once("finish", close);
      }
      return source.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body,
    signal: request.signal,
    duplex: "half",
  } as RequestInit);
}

/** Why the message is not complete, or null when it is. */
export function _incompleteReason(incoming: _NodeMessage): string | null {
  if (incoming.errored) {
    return `the connection broke before the body was read (${incoming.errored.message})`;
  }
  if (!incoming.complete) return "the connection ended before the end of the body";
  return null;
}
