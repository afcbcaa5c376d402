/**
 * The second half of `filter`, once its rules are ready: the input opened
 * in blocks, every block routed, the accepted frames to standard output
 * (and the dropped ones to `--drop-to`), then the counters, the link-layer
 * hint and the exit status. Shared by the rule-set path
 * (./_filter_rules.ts) and the walk-only path of one program
 * (./_filter_walk_only.ts).
 *
 * @module
 */
import type { Instruction } from "../bpf/instruction.ts";
import type { RuleSet, RuleSetCounters } from "../rules/rule_set.ts";
import type { _RecordRouter } from "../stream/_record_router.ts";
import type { RouterStats } from "../stream/router_stats.ts";
import { _flag, type _Parsed } from "../args/_args.ts";
import type { BlockSource } from "./block_source.ts";
import type { CliIo } from "./cli_io.ts";
import { DataError } from "./data_error.ts";
import { _isBrokenPipe } from "./_broken_pipe.ts";
import { _openBlocks } from "./_input.ts";
import { _linkLayerHint } from "./_link_layer_hint.ts";
import { _writeText } from "./_output.ts";
import { _OutputError, _pipeRouter } from "./_pipe_router.ts";
import { _TcpdumpForm } from "./_tcpdump_form.ts";
import type { _BlockPool } from "./_sync_block_source.ts";
import type { _WasmWalk } from "./_wasm_walk.ts";

const _PROGRESS_EVERY_MS = 1000;

/** The router of a `filter` run, with its counters and how to stop it. */
export interface _FilterRouting {
  router: _RecordRouter;
  /** The rules' counters (both threads'). */
  counters(): RuleSetCounters;
  /** Stops what the router started (a second thread), after the last `counters()`. */
  close(): void;
}

/** What {@linkcode _routeInput} runs. */
export interface _RouteRun {
  /** The input: a file name, or `-`. */
  path: string;
  /** `--drop-to`. */
  dropTo: string | undefined;
  /** The rules (for `--stats`/`--json`). */
  ruleSet: RuleSet;
  /** The program of `--bytecode` (or a network-base `--expr`), for the link-layer hint. */
  program: Instruction[] | undefined;
  base: "link" | "network" | undefined;
  /** Where blocks are read into (the walk's or the classifier's Wasm memory). */
  pool: _BlockPool | undefined;
  /** The router, made once the input and the drop file are open. */
  routing(): _FilterRouting;
  /** The Wasm record walk installed in the router, or why there is none. */
  walk: _WasmWalk | { reason: string };
  /** Whether the rules in force are the Wasm classifier (for `_walkReport`). */
  wasmClassifier(): boolean;
  /** The walk-only path: whether the rule set was compiled (for `_walkReport`). */
  ruleSetCompiled?(): boolean;
  /** Wraps the input's blocks (the walk-only path: rules compiled where the walk needs them). */
  blocks?(source: BlockSource, router: _RecordRouter): BlockSource;
}

function _megabytes(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

/**
 * The progress line: after each routed input block, at most once a second,
 * the router's packet and byte counts on stderr.
 */
function _progress(io: CliIo, router: _RecordRouter) {
  const now = io.now ?? (() => performance.now());
  const started = now();
  let next = started + _PROGRESS_EVERY_MS;
  const state = {
    shown: false,
    async afterBlock(): Promise<void> {
      const t = now();
      if (t < next) return;
      next = t + _PROGRESS_EVERY_MS;
      const seconds = (t - started) / 1000;
      const { input, bytesRead } = router.snapshot(0, 0);
      state.shown = true;
      await _writeText(
        io.stderr,
        `\rbpfstream: ${input.packets} packets, ${_megabytes(bytesRead)} MiB, ${
          Math.round(input.packets / seconds)
        } packets/s, ${_megabytes(bytesRead / seconds)} MiB/s\x1b[K`,
      );
    },
  };
  return state;
}

/** Opens the drop file of `--drop-to`, if given. */
async function _openDropped(
  io: CliIo,
  dropTo: string | undefined,
): Promise<WritableStream<Uint8Array> | undefined> {
  if (dropTo === undefined) return undefined;
  try {
    return await io.openWrite(dropTo);
  } catch (error) {
    throw new DataError(
      dropTo,
      `Cannot create file: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
}

/** Routes the input of `run` to the outputs and reports: resolves with the exit status. */
export async function _routeInput(parsed: _Parsed, io: CliIo, run: _RouteRun): Promise<number> {
  const { dropTo, ruleSet, program, base } = run;
  const walk = "reason" in run.walk ? undefined : run.walk;
  const input = await _openBlocks(io, run.path, run.pool);
  const dropStream = await _openDropped(io, dropTo);
  // Every input block's frames leave at once: a live capture is not held
  // back, and a fast input arrives in large blocks anyway.
  const routing = run.routing();
  const router = routing.router;
  if (walk !== undefined) router._setRecordWalk(walk);
  const blocks = run.blocks?.(input.blocks, router) ?? input.blocks;
  const progress = io.isTerminal() ? _progress(io, router) : undefined;

  let failure: unknown;
  let stats: RouterStats | undefined;
  // The counters are read only to print them (a snapshot of 10,000 rules' counters costs).
  const report = _flag(parsed, "stats") || _flag(parsed, "json");
  let counters: RuleSetCounters | undefined;
  try {
    stats = await _pipeRouter(
      blocks,
      router,
      {
        accepted: io.writeStdoutSync ? { write: (chunk) => io.writeStdoutSync!(chunk) } : io.stdout,
        dropped: dropStream,
        // As tcpdump -w writes them, unless --keep-format.
        form: _flag(parsed, "keep-format") ? undefined : () => new _TcpdumpForm(input.name),
      },
      progress?.afterBlock,
    );
  } catch (error) {
    // A destination failed; a broken pipe on stdout ends quietly (141).
    const cause = error instanceof _OutputError ? error.cause : error;
    if (_isBrokenPipe(cause)) throw cause;
    failure = error instanceof _OutputError && error.output === "dropped"
      ? DataError.from(dropTo!, cause)
      : cause;
  } finally {
    // Both threads' counters, then the second thread is stopped.
    if (report) counters = routing.counters();
    routing.close();
  }
  if (progress?.shown) await _writeText(io.stderr, "\r\x1b[K");
  const error = stats?.error;
  if (failure === undefined && error !== undefined) {
    failure = _isBrokenPipe(error) ? error : DataError.from(input.name, error);
  }
  // --stats prints the table, --json the JSON document; given both, both
  // (the table first, then the JSON on its own lines).
  if (report && counters !== undefined) {
    const { _formatStatsJson, _formatStatsText } = await import("./_stats.ts");
    if (_flag(parsed, "stats")) {
      await _writeText(io.stderr, _formatStatsText(ruleSet, counters));
    }
    if (_flag(parsed, "json")) {
      await _writeText(io.stderr, _formatStatsJson(ruleSet, counters));
    }
  }
  const hint = program && base && stats && failure === undefined
    ? _linkLayerHint(program, base, stats.input.packets, stats.accepted.packets)
    : undefined;
  if (hint) await _writeText(io.stderr, hint);
  io._walkReport?.({
    installed: walk !== undefined,
    walked: walk?.walkedRecords ?? 0,
    reason: walk === undefined ? (run.walk as { reason: string }).reason : walk.unusedReason,
    wasm: run.wasmClassifier(),
    ...(run.ruleSetCompiled ? { ruleSetCompiled: run.ruleSetCompiled() } : {}),
  });
  if (failure !== undefined) throw failure;
  return 0;
}
