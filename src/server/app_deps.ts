/**
 * What {@linkcode createApp} takes: storage, token, clock and limits.
 *
 * @module
 */
import type { RuleSetStore } from "./rule_set_store.ts";
import type { WorkbenchAssets } from "./workbench_routes.ts";

/** Limits of {@linkcode AppDeps}; every one is a flag of `bpfstream serve`. */
export interface AppLimits {
  /** Largest rule-set body in bytes (larger: 413). @default {1048576} */
  maxBodyBytes: number;
  /** Most rules in a rule set, over all chains (more: 400). @default {10000} */
  maxRules: number;
  /** Largest `--bytecode` program: 64 as xt_bpf, or up to 4096 (longer: 400). @default {64} */
  maxInstructions: number;
  /**
   * Largest packet record of a capture streamed to `POST /filter`, in captured
   * bytes (libpcap's largest snaplen); a pcapng block may be 64 KiB longer for
   * its header and options. A larger record ends the stream with a
   * `CAPTURE_FORMAT` error before it is buffered.
   * @default {262144}
   */
  maxRecordBytes: number;
  /** Most `POST /filter` streams at once; beyond: 503 with `Retry-After`. @default {64} */
  maxStreams: number;
  /**
   * A stream that receives no byte for this long ends (`STREAM_IDLE` in the
   * rule set's `errors`); 0: never.
   * @default {30000}
   */
  streamIdleTimeoutMs: number;
  /**
   * Memory all filter streams may hold together. Each stream reserves its
   * worst case (the largest record plus the router's buffers, 960 KiB
   * with the defaults) when it starts; a stream that does not fit gets 503
   * with `Retry-After`. The default fits `maxStreams` streams of the default
   * record size; with larger records it binds first.
   * @default {67108864}
   */
  maxStreamMemoryBytes: number;
  /**
   * Most bytes per second that all `POST /filter` streams together take in
   * while more than one is open (0: no limit); a stream alone is not
   * limited. Keeps a flood of uploads from taking every core from other
   * requests (the loopback copies cost more than the filtering).
   * @default {67108864}
   */
  streamIntakeBytesPerSecond: number;
  /** Most compiled rule-set versions kept in memory (least recently used go first). @default {32} */
  maxCompiledRuleSets: number;
  /**
   * Most rules, over all rule sets, kept compiled in memory: before a
   * compile, the least recently used versions that no stream runs on are
   * dropped until the new one fits (they are compiled again from the store
   * when next used). Compiled sets with running streams stay, even beyond it.
   * The default keeps one set of the largest size (`maxRules`): 10,000
   * `--expr` rules take about 80 MiB of heap, twice that while compiling.
   * @default {10000}
   */
  maxCompiledRules: number;
}

/** What {@linkcode createApp} needs from its host. */
export interface AppDeps {
  /** Where rule sets and flushed counters are kept. */
  store: RuleSetStore;
  /** Bearer token for mutating routes; none: they are open (loopback use only). */
  token?: string;
  /** Which routes need the token: `"mutating"` (PUT, DELETE, counter flush) or `"all"`. @default {"mutating"} */
  protect?: "mutating" | "all";
  /**
   * `Host` header values accepted (`name` for any port, `name:port` for one
   * port; names compare without case); any other host gets 421
   * `HOST_NOT_ALLOWED`, which defeats DNS rebinding.
   * @default {without a token: loopback names only (localhost, 127.0.0.0/8, [::1]) on any port; with a token: any host}
   */
  allowedHosts?: readonly string[];
  /** The clock. @default {() => new Date()} */
  now?: () => Date;
  /** Body, rule, program and stream limits (see {@linkcode AppLimits}). */
  limits?: Partial<AppLimits>;
  /**
   * How BPF programs are compiled: `"closure"` runs everywhere (no code generation), `"source"`
   * generates code where allowed. Unset: what `compile()` measures fastest where the app runs
   * (generated source on V8 where `new Function` works; closures on Workers, which refuse it).
   */
  strategy?: "closure" | "source";
  /** Flush per-instance counters to the store this often (0: only on demand and at shutdown). @default {0} */
  counterFlushIntervalMs?: number;
  /**
   * Stops watching the store and flushing when aborted. Watching and the
   * flush timer start with the first request, so that the app can be created
   * at module scope (Cloudflare Workers allow no I/O or timers there).
   */
  signal?: AbortSignal;
  /** Called with unexpected errors (those that become a 500 or end a stream). */
  onError?: (error: unknown) => void;
  /** The rule-set workbench's files, served at `/` (none: no page). */
  workbench?: WorkbenchAssets;
}

/** The limits with their defaults filled in. */
export function _resolveLimits(limits: Partial<AppLimits> | undefined): AppLimits {
  return {
    maxBodyBytes: limits?.maxBodyBytes ?? 1024 * 1024,
    maxRules: limits?.maxRules ?? 10000,
    maxInstructions: limits?.maxInstructions ?? 64,
    maxRecordBytes: limits?.maxRecordBytes ?? 256 * 1024,
    maxStreams: limits?.maxStreams ?? 64,
    streamIdleTimeoutMs: limits?.streamIdleTimeoutMs ?? 30_000,
    maxStreamMemoryBytes: limits?.maxStreamMemoryBytes ?? 64 * 1024 * 1024,
    streamIntakeBytesPerSecond: limits?.streamIntakeBytesPerSecond ?? 64 * 1024 * 1024,
    maxCompiledRuleSets: limits?.maxCompiledRuleSets ?? 32,
    maxCompiledRules: limits?.maxCompiledRules ?? 10_000,
  };
}
