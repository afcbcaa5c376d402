/**
 * `POST /rulesets/:name/filter`: the streaming handler. Request body →
 * router → response body, with admission (count and memory), a per-record
 * cap, an idle timeout, and a record of how each stream ended.
 *
 * @module
 */
import type { Context } from "hono";
import type { _Service } from "./_service.ts";
import { _choice, _name, _notFound } from "./_http_helpers.ts";
import { _captureProblem, type _ErrorBody, _HttpError } from "./_http_error.ts";
import { _createRouter, type _Router } from "./_router.ts";
import { _COMPILE_SLICE_MS, type _Entry, type _StreamTotals } from "./_loaded_rule_sets.ts";
import { _BLOCK_OVERHEAD_BYTES } from "./_stream_admission.ts";
import { _StreamIdleError } from "./_stream_idle_error.ts";
import type { _LoopBudget } from "./_loop_budget.ts";
import { _captureFormat } from "../capture/_capture_magic.ts";
import { _PieceSizer } from "./_piece_sizer.ts";
import { _interfacesAhead } from "./_interfaces_ahead.ts";

const _MAX_ERRORS = 32;
/** What the interface watch is asked again with (no more of the upload). */
const _NO_BYTES = new Uint8Array(0);
/**
 * After a capture error, at most this much of the rest of the upload is read
 * and discarded (so that a client still sending gets the response before the
 * connection closes); beyond it the connection is closed.
 */
const _MAX_DRAIN = 64 * 1024;
/** What starting a stream counts as in the loop budget's units (input bytes). */
const _START_UNITS = 16 * 1024;
/** Bytes the router's output may hold unread before input stops. */
const _OUTPUT_HIGH_WATER_MARK = 256 * 1024;
/**
 * Size of the router's output buffers: input is routed in pieces of at most
 * 64 KiB, so larger buffers only cost zeroed memory per stream at its start.
 */
const _OUTPUT_CHUNK_BYTES = 64 * 1024;

/** Handles `POST /rulesets/:name/filter` (`?output=accepted|dropped`). */
export async function _filterHandler(c: Context, service: _Service): Promise<Response> {
  const name = _name(c);
  const output = _choice(c, "output", ["accepted", "dropped"]);
  // Admission first: a refused stream costs no store read.
  const release = service.admission.admit();
  try {
    if (!await service.ruleSets.current(name)) throw _notFound(name);
    return await _startStream(c, service, name, output, release);
  } catch (error) {
    release();
    throw error;
  }
}

async function _startStream(
  c: Context,
  service: _Service,
  name: string,
  output: "accepted" | "dropped",
  release: () => void,
): Promise<Response> {
  const { limits, ruleSets } = service;
  const body = c.req.raw.body;
  if (!body) throw _badCapture("the request has no body");
  const input = body.getReader();
  const idleMs = limits.streamIdleTimeoutMs;
  const { head, magic } = await _peekCapture(input, idleMs);

  const e = ruleSets.entry(name);
  const loaded = e.loaded ?? await ruleSets.current(name);
  if (!loaded) {
    input.cancel().catch(() => {});
    throw _notFound(name);
  }
  const decoder = {
    maxCapturedLength: Math.min(limits.maxRecordBytes, 262144),
    maxBlockLength: limits.maxRecordBytes + _BLOCK_OVERHEAD_BYTES,
  };
  // Within the loop budget: 64 streams that start in one turn of the event
  // loop (their routers, frame records and output buffers: about 0.6 ms
  // each) are spread over slices like their data. The version is read
  // when the router is made (a PUT may have come in while it waited).
  const { router, version } = await service.budget.run(_START_UNITS, () => {
    const current = e.loaded ?? loaded;
    return {
      version: current.version,
      router: _createRouter(current.compiled, output, {
        ...decoder,
        highWaterMark: _OUTPUT_HIGH_WATER_MARK,
        outputChunkSize: _OUTPUT_CHUNK_BYTES,
      }),
    };
  });
  const stream = crypto.randomUUID();
  const flow = _trackStream(service, e, ruleSets.streamTotals(name, version), {
    router,
    stream,
    version,
    release,
  });
  // Link-base programs are made for each capture interface before its frames (see the module).
  // (The router's own set: a PUT switches it, a DELETE leaves it running.)
  const ahead = _interfacesAhead(decoder, _COMPILE_SLICE_MS, magic);
  _pumpUpload(input, head, router.writable.getWriter(), flow, {
    idleMs,
    budget: service.budget,
    beforePiece: (piece) => ahead.read(piece, router.ruleSet),
  });
  return new Response(_responseBody(router.readable.getReader(), input, flow), {
    status: 200,
    headers: {
      "Content-Type": magic === "pcapng" ? "application/x-pcapng" : "application/vnd.tcpdump.pcap",
      "Cache-Control": "no-store",
      "X-Bpfstream-Stream": stream,
      "X-Bpfstream-Version": String(version),
    },
  });
}

/**
 * Reads the first 4 bytes of the upload (within the idle timeout) and names
 * the capture format: a body that is no capture at all gets a 400.
 */
async function _peekCapture(
  input: ReadableStreamDefaultReader<Uint8Array>,
  idleMs: number,
): Promise<{ head: Uint8Array[]; magic: "pcap" | "pcapng" }> {
  const head: Uint8Array[] = [];
  let have = 0;
  let idle: _StreamIdleError | undefined;
  const peekTimer = idleMs > 0
    ? setTimeout(() => input.cancel(idle = new _StreamIdleError(idleMs, have)), idleMs)
    : undefined;
  try {
    while (have < 4) {
      const { done, value } = await input.read();
      if (done) break;
      if (value.length > 0) head.push(value);
      have += value.length;
    }
  } catch (error) {
    throw new _HttpError(
      400,
      "INCOMPLETE_BODY",
      `Cannot read capture: the upload broke after ${have} bytes (${(error as Error).message})`,
    );
  } finally {
    clearTimeout(peekTimer);
  }
  if (idle) throw new _HttpError(408, "STREAM_IDLE", idle.message);
  const magic = _magic(head);
  if (magic === null) {
    input.cancel().catch(() => {});
    throw _badCapture(
      have < 4
        ? `the body has ${have} bytes, too few for a capture header`
        : `bad magic number 0x${
          head[0][0].toString(16).padStart(2, "0")
        }... (not pcap or pcapng) at byte offset 0`,
    );
  }
  return { head, magic };
}

/** One running filter stream: its byte counts, its idle timer, and how it ends. */
interface _Flow {
  bytesIn: number;
  bytesOut: number;
  ended: boolean;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Re-arms the idle timer: called on every chunk read from the upload or taken by the client. */
  touch(): void;
  /** Ends the stream once: releases admission, counts it, records an error. */
  end(error?: unknown): void;
}

/**
 * Registers a started stream with its rule set (router, active count) and
 * returns its {@linkcode _Flow}, whose `end` undoes that and records how it
 * ended.
 */
function _trackStream(
  service: _Service,
  e: _Entry,
  totals: _StreamTotals,
  started: { router: _Router; stream: string; version: number; release: () => void },
): _Flow {
  const { router, stream, version, release } = started;
  e.routers.add(router);
  totals.active++;
  const flow: _Flow = {
    bytesIn: 0,
    bytesOut: 0,
    ended: false,
    idleTimer: undefined,
    touch() {},
    end(error?: unknown) {
      if (flow.ended) return;
      flow.ended = true;
      clearTimeout(flow.idleTimer);
      release();
      e.routers.delete(router);
      totals.active--;
      if (error === undefined) {
        totals.completed++;
        return;
      }
      totals.failed++;
      const problem: _ErrorBody = _captureProblem(error);
      e.errors.push({
        stream,
        version,
        at: service.now().toISOString(),
        bytesIn: flow.bytesIn,
        bytesOut: flow.bytesOut,
        ...problem,
      });
      if (e.errors.length > _MAX_ERRORS) e.errors.shift();
    },
  };
  return flow;
}

/**
 * Request body → router, in the background, a piece at a time within the
 * app's {@linkcode _LoopBudget} (so that many busy streams never hold the
 * event loop for long), each piece written only after the last one was
 * routed and its output taken. When the router ends early (a capture
 * error), the rest of the upload is read and discarded so that the response
 * can end cleanly instead of the connection being reset under the client.
 * An upload idle for `idleMs` ends the stream.
 */
function _pumpUpload(
  input: ReadableStreamDefaultReader<Uint8Array>,
  head: Uint8Array[],
  writer: WritableStreamDefaultWriter<Uint8Array>,
  flow: _Flow,
  options: {
    idleMs: number;
    budget: _LoopBudget;
    /** What to wait for before a piece is routed (`undefined`: nothing). */
    beforePiece: (piece: Uint8Array) => Promise<unknown> | undefined;
  },
): void {
  const { idleMs, budget, beforePiece } = options;
  const stop = (error: unknown) => {
    input.cancel(error).catch(() => {});
    writer.abort(error).catch(() => {});
  };
  const touch = () => {
    if (idleMs <= 0 || flow.ended) return;
    clearTimeout(flow.idleTimer);
    flow.idleTimer = setTimeout(() => {
      const error = new _StreamIdleError(idleMs, flow.bytesIn);
      flow.end(error);
      // The client stopped reading: drop what is buffered. Else the upload
      // stalled: end the input, and the router flushes the frames it has.
      if (waitingForOutput) stop(error);
      else input.cancel(error).catch(() => {});
    }, idleMs);
  };
  let writing = true;
  let waitingForOutput = false;
  let drained = 0;
  let previous: Promise<void> = writer.ready;
  const pieces = new _PieceSizer();
  const feed = async (chunk: Uint8Array) => {
    flow.bytesIn += chunk.length;
    for (let at = 0; at < chunk.length && writing;) {
      try {
        waitingForOutput = true;
        await previous;
      } catch {
        writing = false;
      } finally {
        waitingForOutput = false;
      }
      if (!writing) break;
      const piece = chunk.subarray(at, at += pieces.size);
      let ready = beforePiece(piece);
      for (let written = false; !written;) {
        if (ready !== undefined) await ready;
        written = await budget.run(piece.length, () => {
          // A PUT may have switched the router's set while this waited: what it needs first.
          ready = beforePiece(_NO_BYTES);
          if (ready !== undefined) return false;
          const started = performance.now();
          previous = writer.write(piece);
          previous.catch(() => {});
          pieces.observe(piece.length, performance.now() - started);
          return true;
        });
      }
    }
    if (writing) return;
    drained += chunk.length;
    if (drained > _MAX_DRAIN) throw new Error("the upload continued after a capture error");
  };
  flow.touch = touch;
  touch();
  (async () => {
    for (const chunk of head) await feed(chunk);
    while (true) {
      const { done, value } = await input.read();
      if (done) break;
      touch();
      await feed(value);
    }
    // The upload is complete: what is left is the client taking the output
    // (each chunk it takes re-arms the timer, see `_responseBody`).
    waitingForOutput = true;
    if (writing) await writer.close().catch(() => {});
  })().catch(stop); // the upload broke (client gone) or ran on after an error: stop both sides
}

/**
 * Router → response. A capture error ends the response cleanly after the
 * accepted frames (a valid, shorter capture) and is recorded under the
 * stream id in GET /rulesets/:name/counters.
 */
function _responseBody(
  accepted: ReadableStreamDefaultReader<Uint8Array>,
  input: ReadableStreamDefaultReader<Uint8Array>,
  flow: _Flow,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await accepted.read();
      } catch (error) {
        flow.end(error);
        controller.close();
        return;
      }
      if (!result.done) {
        flow.bytesOut += result.value.length;
        flow.touch();
        controller.enqueue(result.value);
        return;
      }
      flow.end();
      controller.close();
    },
    cancel(reason) {
      flow.end(reason ?? new Error("the client closed the response"));
      accepted.cancel(reason).catch(() => {});
      input.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}

function _badCapture(reason: string): _HttpError {
  return new _HttpError(400, "CAPTURE_FORMAT", `Cannot decode capture: ${reason}`, {
    byteOffset: 0,
    recordIndex: 0,
    packetIndex: 0,
  });
}

/** The capture format from the first 4 bytes, or null. */
function _magic(head: Uint8Array[]): "pcap" | "pcapng" | null {
  const first = new Uint8Array(4);
  let n = 0;
  for (const chunk of head) {
    const take = Math.min(4 - n, chunk.length);
    first.set(chunk.subarray(0, take), n);
    n += take;
    if (n === 4) break;
  }
  if (n < 4) return null;
  const view = new DataView(first.buffer);
  return _captureFormat(view.getUint32(0, false), view.getUint32(0, true));
}
