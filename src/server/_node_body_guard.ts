/**
 * Shell side of `@hono/node-server`: a request body read from the Node
 * `IncomingMessage` only when the app pulls, and that ends only when the
 * HTTP message really ended.
 *
 * Why not the adapter's own body (measured under Deno 2.9.6 with
 * `@hono/node-server` 1.19):
 * - It is `Readable.toWeb(incoming)`, which keeps the message flowing a
 *   few chunks ahead of the app (it does stop: an upload nobody reads
 *   stalls after a few MiB, most of them in the kernel's socket buffers)
 *   and copies every chunk in a `data` handler as the socket delivers it,
 *   outside the loop budget that paces the filtering. Under a flood of 64
 *   uploads that handler ran for up to 111 ms in one turn of the event
 *   loop (bench/RESULTS.md, issue 13, session 4). Read here, the
 *   message is taken a buffered chunk per `pull` (no copy unless the chunk
 *   shares its memory): while the app does not pull, the message's own
 *   buffer fills (16 KiB), the HTTP server stops reading the socket, and
 *   the client's writes stall in the kernel.
 * - When the HTTP parser fails on the connection (a bad chunk size, a
 *   malformed pipelined request after a complete one) or the client goes
 *   away, the message is destroyed, and `toWeb` then closed normally, so an
 *   upload looked like a complete empty body (issue 13, finding 1). The
 *   message itself knows: `complete` is false without the terminating chunk
 *   or the declared length, and `errored` is set when it was destroyed.
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
  /** True once `end` was emitted (every byte of the body was read). */
  readonly readableEnded?: boolean;
  /** True once the message was destroyed. */
  readonly destroyed?: boolean;
  /** The connection. */
  readonly socket?: { destroy(): void } | null;
  /** Takes what the message has buffered (paused mode), or null; a string only with an encoding set. */
  read(): Uint8Array | string | null;
  on(event: "readable" | "end" | "close" | "error", listener: () => void): unknown;
  off(event: "readable" | "end" | "close" | "error", listener: () => void): unknown;
}

/** What the guard uses of the Node response. */
export interface _NodeResponse {
  readonly writableFinished: boolean;
  once(event: "close" | "finish", listener: () => void): unknown;
}

/**
 * `request` with its body read from `incoming` on demand (see the module
 * notes), and an error instead of an end when `incoming` did not end as a
 * complete HTTP message. `GET` and `HEAD` requests, and requests without
 * `incoming`, pass as they are.
 *
 * `request`'s own `body` and `signal` are never touched: either would make
 * the adapter start its own reader on the same message. The signal given
 * instead aborts when the connection closes before the response was sent.
 */
export function _guardNodeBody(
  request: Request,
  incoming: _NodeMessage | undefined,
  outgoing?: _NodeResponse,
): Request {
  if (!incoming || request.method === "GET" || request.method === "HEAD") return request;
  const aborted = new AbortController();
  outgoing?.once("close", () => {
    if (!outgoing.writableFinished) aborted.abort(new Error("the client closed the connection"));
  });
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: _nodeBody(incoming, outgoing),
    signal: aborted.signal,
    duplex: "half",
  } as RequestInit);
}

/**
 * The body of `incoming` as a web stream that reads the message only when
 * pulled (high-water mark 0: nothing is read ahead).
 */
function _nodeBody(
  incoming: _NodeMessage,
  outgoing?: _NodeResponse,
): ReadableStream<Uint8Array> {
  let ended = incoming.readableEnded === true;
  let closed = incoming.destroyed === true;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onClose = () => {
    closed = true;
    notify();
  };
  const ignore = () => {};
  incoming.on("readable", notify);
  incoming.on("end", onEnd);
  incoming.on("close", onClose);
  incoming.on("error", onClose); // the error itself is `incoming.errored`
  let attached = true;
  const detach = () => {
    if (!attached) return;
    attached = false;
    incoming.off("readable", notify);
    incoming.off("end", onEnd);
    incoming.off("close", onClose);
    incoming.off("error", onClose);
    incoming.on("error", ignore); // a later error has no one to go to
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (true) {
        const chunk = incoming.read();
        if (chunk !== null && chunk.length > 0) {
          controller.enqueue(
            typeof chunk === "string" ? new TextEncoder().encode(chunk) : _owned(chunk),
          );
          return;
        }
        if (chunk === null && (ended || closed)) {
          detach();
          const problem = _incompleteReason(incoming);
          if (problem === null) controller.close();
          else controller.error(new Error(problem));
          return;
        }
        if (chunk === null) await new Promise<void>((resolve) => wake = resolve);
      }
    },
    cancel() {
      detach();
      // The app wants no more of this body: close the connection once the
      // response is out, instead of letting the server read and discard
      // the rest (up to 64 MiB per connection in @hono/node-server).
      if (outgoing) {
        const close = () => incoming.socket?.destroy();
        if (outgoing.writableFinished) close();
        else outgoing.once("finish", close);
      }
    },
  }, { highWaterMark: 0 });
}

/**
 * `chunk` as a plain `Uint8Array` the consumer may keep: a view when the
 * chunk has its memory to itself, else a copy (a slice of a read buffer or
 * of the `Buffer` pool).
 */
function _owned(chunk: Uint8Array): Uint8Array {
  if (chunk.byteOffset === 0 && chunk.buffer.byteLength === chunk.byteLength) {
    return new Uint8Array(chunk.buffer, 0, chunk.byteLength);
  }
  return new Uint8Array(chunk);
}

/** Why the message is not complete, or null when it is. */
export function _incompleteReason(incoming: _NodeMessage): string | null {
  if (incoming.errored) {
    return `the connection broke before the body was read (${incoming.errored.message})`;
  }
  if (!incoming.complete) return "the connection ended before the end of the body";
  return null;
}
