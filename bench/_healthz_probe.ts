/**
 * The `/healthz` probe of bench/http_attack.ts, in its own process (so that
 * neither the attacks, which run in the bench's process, nor the server
 * slow it down through a shared event loop or runtime): sends `GET /healthz`
 * to the URL given as the only argument with 4 requests in flight, each
 * 20 ms after the last answer, until its stdin closes. Prints `ready` once
 * the server answered a first request, and at the end the
 * latencies in ms as one JSON array (requests still in flight count at
 * their age).
 *
 * @module
 */
const url = Deno.args[0];
const latencies: number[] = [];
const inFlight = new Set<number>();
let running = true;

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
await (await fetch(`${url}/healthz`)).body?.cancel();
console.log("ready");
const loops = Promise.all(Array.from({ length: 4 }, loop));
// Runs until stdin ends.
for await (const _ of Deno.stdin.readable) { /* nothing is sent */ }
running = false;
const now = performance.now();
console.log(JSON.stringify([...latencies, ...[...inFlight].map((started) => now - started)]));
await Promise.race([loops, new Promise((resolve) => setTimeout(resolve, 100))]);
Deno.exit(0);
