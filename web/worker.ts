/**
 * The filtering Web Worker: filters a dropped capture through the rule set
 * (see `filter_capture.ts`), then answers the page's requests for rows of the
 * packet list and for traces.
 *
 * @module
 */
import type { RuleSet } from "../mod.ts";
import { checkRuleText } from "./check_rule_text.ts";
import { filterCapture, type PacketVerdicts } from "./filter_capture.ts";
import { type CaptureIndex, indexCapture } from "./index_capture.ts";
import type { PacketRow, WorkerReply, WorkerRequest } from "./messages.ts";
import { readPackets } from "./read_packet.ts";
import { ruleLabels } from "./rule_labels.ts";
import { summarizeFrame } from "./summarize_frame.ts";
import { traceDecision } from "./trace_decision.ts";

/** The part of the worker global scope used here. */
interface _WorkerScope {
  postMessage(message: WorkerReply): void;
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
}

const scope = globalThis as unknown as _WorkerScope;

interface _Session {
  capture: Blob;
  verdicts: PacketVerdicts;
  index: CaptureIndex;
  ruleSet: RuleSet;
  entryChain: string;
  /** Time stamp of packet 0 in nanoseconds. */
  origin: bigint;
}

let session: _Session | undefined;
/** Requests are answered in order: a filter run finishes before rows are read. */
let queue: Promise<void> = Promise.resolve();

async function _filter(capture: Blob, text: string): Promise<void> {
  session = undefined;
  const checked = checkRuleText(text);
  if (!checked.ok) {
    const { line, column, message } = checked.problem;
    scope.postMessage({ type: "error", message: `line ${line}, column ${column}: ${message}` });
    return;
  }
  let lastPost = 0;
  const outcome = await filterCapture(capture, checked.rules, {
    onProgress(progress) {
      const now = performance.now();
      if (now - lastPost < 50 && progress.bytesRead < progress.totalBytes) return;
      lastPost = now;
      scope.postMessage({ type: "progress", ...progress });
    },
  });
  const { stats, verdicts } = outcome;
  const side = (t: { packets: number; bytes: number }) => ({ packets: t.packets, bytes: t.bytes });
  scope.postMessage({
    type: "done",
    packets: verdicts.count,
    input: side(stats.input),
    accepted: side(stats.accepted),
    dropped: side(stats.dropped),
    counters: stats.rules,
    labels: ruleLabels(checked.rules.ruleSet),
    entryChain: checked.rules.chain,
    elapsedMs: outcome.elapsedMs,
    totalBytes: capture.size,
    format: stats.format ?? "unknown",
    ...(stats.error !== undefined
      ? { error: stats.error instanceof Error ? stats.error.message : String(stats.error) }
      : {}),
  });
  // Files for the download buttons, made after the results are shown.
  scope.postMessage({
    type: "captures",
    accepted: new Blob(outcome.accepted as BlobPart[]),
    dropped: new Blob(outcome.dropped as BlobPart[]),
  });
  // Then the packet list's index (requests for rows wait for it in the queue).
  const indexing = performance.now();
  const index = await indexCapture(capture);
  let origin = 0n;
  if (index.count > 0) origin = (await readPackets(capture, index, 0, 1))[0].timestampNanoseconds;
  session = {
    capture,
    verdicts,
    index,
    ruleSet: checked.rules.ruleSet,
    entryChain: checked.rules.chain,
    origin,
  };
  scope.postMessage({ type: "indexed", elapsedMs: performance.now() - indexing });
}

async function _rows(id: number, from: number, to: number): Promise<void> {
  const s = session;
  if (!s) return;
  const frames = await readPackets(s.capture, s.index, from, Math.min(to, s.verdicts.count));
  const rows: PacketRow[] = frames.map((frame, i) => ({
    index: from + i,
    time: Number(frame.timestampNanoseconds - s.origin) / 1e9,
    capturedLength: frame.data.length,
    wireLength: frame.wireLength,
    summary: summarizeFrame(frame.data, frame.wireLength, frame.linkType),
    accepted: s.verdicts.accepted[from + i] === 1,
    decidedBy: s.verdicts.decidedBy[from + i],
  }));
  scope.postMessage({ type: "rows", id, rows });
}

function _decision(s: _Session, decidedBy: number): string {
  if (decidedBy < 0) {
    const chain = s.ruleSet.chains.find((c) => c.name === s.entryChain);
    return `policy of ${s.entryChain} (${chain?.policy ?? "?"}): no rule decided`;
  }
  const label = ruleLabels(s.ruleSet)[decidedBy];
  return `${label.chain} rule ${label.number}: ${label.text}`;
}

async function _trace(id: number, packet: number): Promise<void> {
  const s = session;
  if (!s || packet < 0 || packet >= Math.min(s.index.count, s.verdicts.count)) return;
  const [frame] = await readPackets(s.capture, s.index, packet, packet + 1);
  const decidedBy = s.verdicts.decidedBy[packet];
  const programs = traceDecision(s.ruleSet, decidedBy, {
    data: frame.data,
    wireLength: frame.wireLength,
    linkType: frame.linkType,
    interfaceIndex: s.index.interfaceIndex[packet],
    interfaceName: frame.interface.name,
  });
  scope.postMessage({
    type: "trace",
    id,
    trace: {
      index: packet,
      accepted: s.verdicts.accepted[packet] === 1,
      decidedBy,
      decision: _decision(s, decidedBy),
      programs,
    },
  });
}

function _handle(request: WorkerRequest): Promise<void> {
  switch (request.type) {
    case "filter":
      return _filter(request.capture, request.rules);
    case "rows":
      return _rows(request.id, request.from, request.to);
    case "trace":
      return _trace(request.id, request.packet);
  }
}

scope.onmessage = (event) => {
  queue = queue.then(() => _handle(event.data)).catch((error) => {
    scope.postMessage({
      type: "error",
      message: error instanceof Error ? error.message : String(error),
    });
  });
};
