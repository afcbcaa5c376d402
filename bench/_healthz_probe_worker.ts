/**
 * Worker of bench/http_attack.ts: sends `GET /healthz` from its own event
 * loop (so the attacks in the main thread do not delay it) with `parallel`
 * requests in flight, and reports the latencies when told to stop.
 *
 * @module
 */
/// <reference lib="deno.worker" />

let running = false;
let latencies: number[] = [];
/** Start times of requests in flight: counted at their age when the probe stops. */
const inFlight = new Set<number>();

self.onmessage = async (event: MessageEvent) => {
  const message = event.data as { start?: { url: string; parallel: number }; stop?: true };
  if (message.start) {
    running = true;
    latencies = [];
    const { url, parallel } = message.start;
    const loop = async () => {
      while (running) {
        const started = performance.now();
        inFlight.add(started);
        try {
          const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
          await response.body?.cancel();
          latencies.push(performance.now() - started);
        } catch {
          latencies.push(10_000);
        } finally {
          inFlight.delete(started);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await Promise.all(Array.from({ length: parallel }, loop));
  }
  if (message.stop) {
    running = false;
    const now = performance.now();
    self.postMessage([...latencies, ...[...inFlight].map((started) => now - started)]);
  }
};
