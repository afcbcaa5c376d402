/**
 * Minimal reproducer (for an upstream report to Deno): on `Deno.serve`, an
 * upload that the handler streams back into its response (full duplex over
 * HTTP/1.1) slows down more than linearly with its size, while draining the
 * same upload is fast and Node's `http` echoes it linearly.
 *
 * Self-contained: no imports. A raw TCP client (`Deno.connect`) sends the
 * body in 64 KiB writes while it reads the response, like curl does, so no
 * HTTP client is involved.
 *
 * Run: `deno run -A bench/deno_serve_duplex_repro.ts [--sizes 25,50,100,200] [--runs 3]`
 *
 * Handlers compared, each on its own `Deno.serve` in this process:
 * - `drain`: reads the whole body, answers its length (the upload alone);
 * - `echo`: `new Response(request.body.pipeThrough(new TransformStream()))`;
 * - `echo-read-ahead`: the same, with the body read as fast as it arrives
 *   into a queue and the response written from it (what
 *   `src/server/with_read_ahead.ts` does).
 *
 * Observed with Deno 2.9.6 on Linux (bench/RESULTS.md, issue 17): `echo`
 * takes 0.7 s for 50 MB and 12.8 s for 200 MB; while the handler lags, the
 * runtime keeps reading the socket (the server's memory grows by the size of
 * the upload), and the rest of the transfer slows as that backlog grows.
 * `echo-read-ahead` takes 0.5 s for 200 MB.
 *
 * @module
 */

/** What a run measured. */
export interface UploadResult {
  /** Seconds from the first byte sent to the end of the response. */
  seconds: number;
  /** Response body bytes received (chunked framing included). */
  received: number;
}

/**
 * Uploads `size` bytes to `http://127.0.0.1:port/` with HTTP/1.1 and
 * `Content-Length`, writing 64 KiB at a time while reading the response
 * until the server closes the connection.
 */
export async function upload(port: number, size: number): Promise<UploadResult> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  const head = new TextEncoder().encode(
    `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`,
  );
  const chunk = new Uint8Array(64 * 1024).fill(0x5a);
  const started = performance.now();
  const reading = (async () => {
    let received = 0;
    const buffer = new Uint8Array(1 << 20);
    while (true) {
      const n = await connection.read(buffer);
      if (n === null) return received;
      received += n;
    }
  })();
  await _writeAll(connection, head);
  for (let sent = 0; sent < size; sent += chunk.length) {
    await _writeAll(connection, chunk.subarray(0, Math.min(chunk.length, size - sent)));
  }
  const received = await reading;
  const seconds = (performance.now() - started) / 1000;
  try {
    connection.close();
  } catch { /* closed by the server */ }
  return { seconds, received };
}

async function _writeAll(connection: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await connection.write(bytes.subarray(at));
}

/** The body read as fast as it arrives; the response takes what queued up (≤ 64 KiB joins). */
function _readAhead(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const queue: Uint8Array[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  (async () => {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      queue.push(value);
      wake?.();
    }
    ended = true;
    wake?.();
  })();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      while (queue.length === 0 && !ended) await new Promise<void>((r) => wake = r);
      if (queue.length === 0) return controller.close();
      controller.enqueue(queue.shift()!);
    },
  }, { highWaterMark: 0 });
}

const _handlers: Record<string, (request: Request) => Response | Promise<Response>> = {
  drain: async (request) => {
    let n = 0;
    for await (const chunk of request.body!) n += chunk.length;
    return new Response(String(n));
  },
  echo: (request) => new Response(request.body!.pipeThrough(new TransformStream())),
  "echo-read-ahead": (request) =>
    new Response(_readAhead(request.body!).pipeThrough(new TransformStream())),
};

if (import.meta.main) {
  const flag = (name: string, fallback: string) => {
    const at = Deno.args.indexOf(`--${name}`);
    return at >= 0 ? Deno.args[at + 1] : fallback;
  };
  const sizes = flag("sizes", "25,50,100,200").split(",").map(Number);
  const runs = Number(flag("runs", "3"));
  console.log(`Deno ${Deno.version.deno}, ${runs} runs, median seconds`);
  console.log(["handler", ...sizes.map((s) => `${s} MB`)].join("\t"));
  for (const [name, handler] of Object.entries(_handlers)) {
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
    const cells: string[] = [];
    for (const size of sizes) {
      const times: number[] = [];
      for (let run = 0; run < runs; run++) {
        times.push((await upload(server.addr.port, size * 1e6)).seconds);
      }
      times.sort((a, b) => a - b);
      cells.push(times[Math.floor(times.length / 2)].toFixed(2));
    }
    console.log([name, ...cells].join("\t"));
    await server.shutdown();
  }
}
