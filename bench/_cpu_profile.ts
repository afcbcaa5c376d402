/**
 * A V8 CPU profile of another Deno process through its inspector (run it
 * with `--inspect=127.0.0.1:PORT`), and the long tasks in it: the stretches
 * where the event loop ran JavaScript without a break, with the functions
 * that took their time. For the benches of issue 13 (`--profile` of
 * bench/http_attack.ts).
 *
 * @module
 */

/** A node of a V8 `Profiler.Profile`. */
interface _ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** The parts of a V8 `Profiler.Profile` read here. */
export interface CpuProfile {
  nodes: _ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A connection to a process's inspector that can start and stop a CPU profile. */
export interface Profiler {
  start(): Promise<void>;
  stop(): Promise<CpuProfile>;
  close(): void;
}

/** Connects to the inspector on 127.0.0.1:`port` (its first target). */
export async function connectProfiler(port: number): Promise<Profiler> {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let id = 0;
  const pending = new Map<number, (result: unknown) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    pending.get(message.id)?.(message.result);
    pending.delete(message.id);
  };
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      pending.set(++id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 200 });
  return {
    start: async () => void await send("Profiler.start"),
    stop: async () => ((await send("Profiler.stop")) as { profile: CpuProfile }).profile,
    close: () => socket.close(),
  };
}

/** A stretch of the profile without idle samples. */
export interface LongTask {
  /** Milliseconds from the profile's start. */
  startMs: number;
  durationMs: number;
  /** Self time per function (`name url:line`), largest first, at most 8. */
  top: [string, number][];
  /** Time per outermost application frame (first frame from this repository). */
  entry: [string, number][];
}

/** The stretches of JavaScript (no `(idle)` sample) of at least `minMs`, longest first. */
export function longTasks(profile: CpuProfile, minMs: number): LongTask[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: _ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"} ${
      n.callFrame.url.replace(/^.*\/(src|bench|tests|node_modules)\//, "$1/")
    }:${n.callFrame.lineNumber + 1}`;
  const entryOf = (id: number): string => {
    let found = "(runtime)";
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      if (/\/(src|bench)\//.test(n.callFrame.url)) found = label(n);
    }
    return found;
  };
  const tasks: LongTask[] = [];
  let time = 0;
  let start = -1;
  let self = new Map<string, number>();
  let entries = new Map<string, number>();
  const close = (end: number) => {
    if (start >= 0 && end - start >= minMs) {
      const sorted = (m: Map<string, number>) =>
        [...m].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) =>
          [k, Number((v / 1000).toFixed(1))] as [string, number]
        );
      tasks.push({
        startMs: start / 1000,
        durationMs: (end - start) / 1000,
        top: sorted(self),
        entry: sorted(entries),
      });
    }
    start = -1;
    self = new Map();
    entries = new Map();
  };
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i])!;
    const name = node.callFrame.functionName;
    if (name === "(idle)" || name === "(program)") {
      close(time);
    } else {
      if (start < 0) start = time;
      self.set(label(node), (self.get(label(node)) ?? 0) + delta);
      const entry = entryOf(node.id);
      entries.set(entry, (entries.get(entry) ?? 0) + delta);
    }
    time += delta;
  }
  close(time);
  return tasks.sort((a, b) => b.durationMs - a.durationMs);
}
