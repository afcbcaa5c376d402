/**
 * `src/server/main.ts` with an event-loop lag sampler, for the benches of
 * issue 13: takes the same flags as `serve`, and measures
 * how long the server's event loop stays busy. A 1 ms timer chain records
 * every gap between two timer runs, and the process's CPU time during it
 * (`process.cpuUsage`: a gap with little CPU time is the machine not
 * running the process, not the process being busy). `SIGUSR2` prints what
 * was recorded since the last `SIGUSR2` to stderr as one line,
 * `lag: max M ms, p99 P ms, over50 N, over100 K, samples S, busy max B ms,
 * busy over50 C` (busy: CPU time within one gap), then one line `mem: peak rss
 * ... now rss ... MiB` (`process.memoryUsage()` at the highest RSS sampled
 * every 50 ms since the last `SIGUSR2`, and now), and starts over.
 *
 * @module
 */
import process from "node:process";
import { serve } from "../src/server/main.ts";
import { _parseServeArgs } from "../src/server/_serve_args.ts";

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
let last = performance.now();
let lastCpu = cpuMs();
let gaps: number[] = [];
let busy: number[] = [];
const tick = () => {
  const now = performance.now();
  const cpu = cpuMs();
  gaps.push(now - last);
  if (now - last > 20) busy.push(cpu - lastCpu);
  last = now;
  lastCpu = cpu;
  setTimeout(tick, 1);
};
setTimeout(tick, 1);
/** The memory figures at the highest RSS seen since the last SIGUSR2 (sampled every 50 ms). */
let memPeak = process.memoryUsage();
const sampleMemory = () => {
  const now = process.memoryUsage();
  if (now.rss > memPeak.rss) memPeak = now;
};
setInterval(sampleMemory, 50);
const mib = (bytes: number) => (bytes / 1048576).toFixed(0);
/** Resident KiB of the allocator's main heap (`[heap]`), of other anonymous maps, and of files. */
const residentByKind = () => {
  const kinds = { brk: 0, anon: 0, file: 0 };
  let kind: keyof typeof kinds = "anon";
  for (const line of Deno.readTextFileSync("/proc/self/smaps").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) kind = head[2] === "[heap]" ? "brk" : head[1] !== "0" ? "file" : "anon";
    else if (line.startsWith("Rss:")) kinds[kind] += Number(line.split(/\s+/)[1]);
  }
  return `[heap] ${mib(kinds.brk * 1024)} anon ${mib(kinds.anon * 1024)} files ${
    mib(kinds.file * 1024)
  }`;
};
Deno.addSignalListener("SIGUSR2", () => {
  const sorted = gaps.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  console.error(
    `lag: max ${at(1).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, over50 ${
      sorted.filter((g) => g > 50).length
    }, over100 ${sorted.filter((g) => g > 100).length}, samples ${sorted.length}, busy max ${
      Math.max(0, ...busy).toFixed(1)
    } ms, busy over50 ${busy.filter((b) => b > 50).length}`,
  );
  sampleMemory();
  const now = process.memoryUsage();
  console.error(
    `mem: peak rss ${mib(memPeak.rss)} heap ${mib(memPeak.heapUsed)} external ${
      mib(memPeak.external)
    } arrayBuffers ${mib(memPeak.arrayBuffers)}; now rss ${mib(now.rss)} heap ${
      mib(now.heapUsed)
    } external ${mib(now.external)} arrayBuffers ${
      mib(now.arrayBuffers)
    } MiB (${residentByKind()})`,
  );
  memPeak = now;
  gaps = [];
  busy = [];
  last = performance.now();
  lastCpu = cpuMs();
});
const server = await serve({ ..._parseServeArgs(Deno.args), stopOnSignals: true });
console.error(`bpfstream: listening on ${server.url}/`);
await server.finished;
Deno.exit(0);
