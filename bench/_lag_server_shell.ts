/**
 * `src/server/main.ts` with an event-loop lag sampler, for the benches of
 * issue 13: takes the same flags as `serve`, and measures
 * how long the server's event loop stays busy. A 1 ms timer chain records
 * every gap between two timer runs, and the process's CPU time during it
 * (`process.cpuUsage`: a gap with little CPU time is the machine not
 * running the process, not the process being busy). `SIGUSR2` prints what
 * was recorded since the last `SIGUSR2` to stderr as one line,
 * `lag: max M ms, p99 P ms, over50 N, over100 K, samples S, busy max B ms,
 * busy over50 C, thread max T ms, thread over25 U, thread over50 V, longest at W s` (busy: the
 * process's CPU time within one gap, background GC and compiler threads
 * included; thread: the CPU time of the thread that runs the event loop
 * within one gap, `CLOCK_THREAD_CPUTIME_ID` through FFI, NaN where libc
 * cannot be opened; W: seconds since the process started, at the end of the
 * gap with the most thread CPU), then one line `mem: peak rss
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
/** CPU time of the calling thread (the event loop's), ms; NaN without libc. */
const threadCpuMs = (() => {
  try {
    const libc = Deno.dlopen("libc.so.6", {
      clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
    });
    const time = new BigInt64Array(2);
    const CLOCK_THREAD_CPUTIME_ID = 3;
    return () => {
      libc.symbols.clock_gettime(CLOCK_THREAD_CPUTIME_ID, time);
      return Number(time[0]) * 1000 + Number(time[1]) / 1e6;
    };
  } catch {
    return () => NaN;
  }
})();
let last = performance.now();
let lastCpu = cpuMs();
let lastThread = threadCpuMs();
let gaps: number[] = [];
let busy: number[] = [];
let threadBusy: number[] = [];
let threadMaxAt = 0;
/** Start of the gap with the most thread CPU (performance.now()). */
let threadMaxFrom = 0;
const tick = () => {
  const now = performance.now();
  const cpu = cpuMs();
  const thread = threadCpuMs();
  gaps.push(now - last);
  if (now - last > 20) {
    busy.push(cpu - lastCpu);
    if (!(thread - lastThread <= Math.max(0, ...threadBusy))) {
      threadMaxAt = now;
      threadMaxFrom = last;
    }
    threadBusy.push(thread - lastThread);
  }
  last = now;
  lastCpu = cpu;
  lastThread = thread;
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
/**
 * With `LAG_PROFILE=1`: a CPU profile of this process (node:inspector, in
 * process) runs between two SIGUSR2s; at each, the functions sampled within
 * the gap with the most thread CPU are printed (`turn: ...` lines, self time
 * per function and per outermost repository frame), then it starts over.
 */
const turnProfiler = Deno.env.get("LAG_PROFILE") === "1" ? await _turnProfiler() : undefined;
Deno.addSignalListener("SIGUSR2", async () => {
  if (turnProfiler) await turnProfiler.report(threadMaxFrom, threadMaxAt);
  const sorted = gaps.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  console.error(
    `lag: max ${at(1).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, over50 ${
      sorted.filter((g) => g > 50).length
    }, over100 ${sorted.filter((g) => g > 100).length}, samples ${sorted.length}, busy max ${
      Math.max(0, ...busy).toFixed(1)
    } ms, busy over50 ${busy.filter((b) => b > 50).length}, thread max ${
      Math.max(0, ...threadBusy).toFixed(1)
    } ms, thread over25 ${threadBusy.filter((b) => b > 25).length}, thread over50 ${
      threadBusy.filter((b) => b > 50).length
    }, longest at ${(threadMaxAt / 1000).toFixed(3)} s`,
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
  threadBusy = [];
  threadMaxAt = threadMaxFrom = 0;
  await turnProfiler?.start();
  last = performance.now();
  lastCpu = cpuMs();
  lastThread = threadCpuMs();
});
const server = await serve({ ..._parseServeArgs(Deno.args), stopOnSignals: true });
console.error(`bpfstream: listening on ${server.url}/`);
await server.finished;
Deno.exit(0);

/** The in-process profiler of `LAG_PROFILE=1` (see above). */
async function _turnProfiler() {
  const { Session } = await import("node:inspector");
  const session = new Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(
        method,
        params,
        (error: unknown, result: unknown) => error ? reject(error) : resolve(result),
      )
    );
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
  let startedAt = 0;
  const start = async () => {
    await post("Profiler.start");
    startedAt = performance.now();
  };
  await start();
  return {
    start,
    async report(from: number, to: number) {
      const { profile } = await post("Profiler.stop") as {
        profile: {
          nodes: {
            id: number;
            callFrame: { functionName: string; url: string; lineNumber: number };
            children?: number[];
          }[];
          samples: number[];
          timeDeltas: number[];
        };
      };
      if (to <= from) return;
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      const parent = new Map<number, number>();
      for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
      const label = (id: number) => {
        const f = byId.get(id)!.callFrame;
        return `${f.functionName || "(anonymous)"} ${
          f.url.replace(/^.*\/(src|bench|node_modules)\//, "$1/")
        }:${f.lineNumber + 1}`;
      };
      const entry = (id: number) => {
        let found = "(runtime)";
        for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
          if (/\/(src)\//.test(byId.get(at)!.callFrame.url)) found = label(at);
        }
        return found;
      };
      const self = new Map<string, number>();
      const entries = new Map<string, number>();
      let time = startedAt;
      for (let i = 0; i < profile.samples.length; i++) {
        time += (profile.timeDeltas[i] ?? 0) / 1000;
        if (time < from || time > to) continue;
        const delta = (profile.timeDeltas[i + 1] ?? 0) / 1000;
        const id = profile.samples[i];
        self.set(label(id), (self.get(label(id)) ?? 0) + delta);
        entries.set(entry(id), (entries.get(entry(id)) ?? 0) + delta);
      }
      const top = (m: Map<string, number>) =>
        [...m].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k, v]) => `${v.toFixed(1)} ${k}`)
          .join(" | ");
      console.error(`turn: ${(to - from).toFixed(1)} ms; self: ${top(self)}`);
      console.error(`turn entry: ${top(entries)}`);
    },
  };
}
