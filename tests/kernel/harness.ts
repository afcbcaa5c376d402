/**
 * Test helper: the real Linux kernel as an oracle for `xt_bpf` and `xt_u32`.
 *
 * {@linkcode KernelHarness.open} creates two network namespaces joined by a
 * veth pair (names unique to this process); {@linkcode KernelHarness.run}
 * installs one counting rule per program in the receiver's raw table
 * (iptables for IPv4, ip6tables for IPv6; one `iptables-restore` per family
 * that has frames in the call), then sends the frames one by one from the
 * other namespace with an `AF_PACKET` socket (send_frames.py, one long-lived
 * process) and reads the counters after each, so that every (packet,
 * program) pair gets the kernel's verdict:
 *
 * ```
 * -A PREROUTING -m mac --mac-source 02:62:70:66:00:01 -j ACCEPT   # the sender's own stack
 * -A PREROUTING -m mac --mac-source 02:00:00:ff:ff:fe -j ACCEPT   # sentinel after each frame
 * -A PREROUTING -m mac --mac-source 02:00:00:00:00:07 -j MARK --set-mark 0x1234abcd
 *                                    # delivery counter of frame 7, and what SKF_AD_MARK loads
 * -A PREROUTING -j programs
 * -A programs -m bpf --bytecode "…program 0…"                    # one counter per program
 * ```
 *
 * Every frame carries its tag in its source MAC ({@linkcode tagMac}). A
 * frame the kernel drops before netfilter (bad IPv4 header, truncated
 * datagram, other-host destination) leaves its MARK counter at 0. After
 * each frame a sentinel frame follows on the same CPU; its counter says
 * that the frame has been processed.
 *
 * ## Safety limits (read before changing anything here)
 *
 * Every `-m bpf` rule is a JIT-compiled BPF program, and freeing one queues
 * a deferred free on the kernel's system workqueue. An earlier version of
 * this harness installed one rule per (frame, program) pair and flushed
 * ~20,000 of them at once; on 6.18 that deadlocked the machine it was
 * developed on (2047 kworkers in `bpf_prog_pack_free` waiting for the pack
 * mutex, whose holder waited in `vfree` → `__purge_vmap_area_lazy` →
 * `flush_work` for a work item the saturated queue never started; every
 * later BPF JIT and nftables operation hung in uninterruptible sleep).
 * Hence:
 *
 * - at most {@linkcode MAX_BPF_RULES} `-m bpf` rules per table load (per
 *   {@linkcode KernelHarness.run} call; installed only in the families that
 *   have frames), so never more than that many programs freed at once;
 * - after a table that held BPF programs is replaced, a pause
 *   ({@linkcode freePauseMs}) before the next table operation, so the
 *   deferred frees drain;
 * - every command has a timeout (`BPFS_KERNEL_TIMEOUT_MS`, default 20 s):
 *   a wedged kernel makes the caller fail or skip instead of hanging (the
 *   stuck process itself cannot be killed: it sleeps in D state);
 * - {@linkcode KernelHarness.skipReason} first looks for the signs of the
 *   deadlock above (tasks stuck in `bpf_prog_pack_*`, iptables/nft stuck in
 *   D state, seen twice a second apart) and skips without touching the
 *   kernel when it finds them.
 *
 * ## Backend
 *
 * `BPFS_IPTABLES=legacy|nft|system` picks `iptables-legacy`,
 * `iptables-nft` or whatever `iptables` is. Unset (auto), the harness uses
 * the legacy backend when `iptables-legacy-restore` and
 * `ip6tables-legacy-restore` exist and can load a raw table in the
 * receiver namespace, else `iptables`. Legacy is preferred because a table
 * is replaced in one `setsockopt` and its old matches are destroyed in the
 * calling process; with nf_tables (the backend of plain `iptables` on most
 * distributions) rules are released by the transaction's destroy work on
 * the system workqueue, the queue the deadlock above saturated, and on the
 * wedged machine every nftables operation hung while the legacy tables
 * kept working. The two backends run the same `xt_bpf`/`xt_u32` match code.
 *
 * Nothing leaves the two namespaces: the frames are sent on the veth and
 * only ever reach the peer; {@linkcode KernelHarness.close} deletes both
 * namespaces (and with them the veth), also when a batch failed.
 */

/** Receiver MAC address the harness gives its veth (locally administered). */
export const RECEIVER_MAC: Uint8Array = Uint8Array.of(0x02, 0x62, 0x70, 0x66, 0x00, 0x02);
/** Sender MAC address (frames are re-tagged per batch; see the module doc). */
export const SENDER_MAC: Uint8Array = Uint8Array.of(0x02, 0x62, 0x70, 0x66, 0x00, 0x01);

/**
 * Most `-m bpf` rules one {@linkcode KernelHarness.run} call installs per
 * table (so at most this many BPF programs are freed when it is replaced).
 */
export const MAX_BPF_RULES = 128;

/**
 * Milliseconds to wait after replacing a table that held `programs` BPF
 * programs, so that their deferred frees run before the next operation.
 */
export function freePauseMs(programs: number): number {
  return programs > 0 ? 20 + 2 * programs : 0;
}

/** One frame to send: the whole Ethernet frame and the family's table. */
export interface KernelFrame {
  /** The Ethernet frame from the destination MAC on. */
  frame: Uint8Array;
  /** Which table sees it: 4 = iptables, 6 = ip6tables. */
  family: 4 | 6;
  /** `skb->mark` set by a MARK rule before the program rules. @default {0} */
  mark?: number;
  /** Unique tag of the frame in its batch, 1..0xfffffd; the frame's source
   * MAC must be {@linkcode tagMac}(tag). */
  tag: number;
}

/** The kernel's answer for one batch. */
export interface BatchResult {
  /** Whether each frame reached raw PREROUTING. */
  delivered: boolean[];
  /** `matched[rule][frame]`: whether the rule's match counted the frame. */
  matched: boolean[][];
}

/** Which iptables binaries the harness runs. */
export type IptablesBackend = "legacy" | "nft" | "system";

/** Names and properties of the two namespaces. */
export interface HarnessInfo {
  /** Sender namespace. */
  senderNs: string;
  /** Receiver namespace. */
  receiverNs: string;
  /** Sender veth name. */
  senderIf: string;
  /** Receiver veth name. */
  receiverIf: string;
  /** ifindex of the receiver veth inside the receiver namespace. */
  receiverIfindex: number;
  /** Backend of the iptables binaries used. */
  backend: IptablesBackend;
  /** `iptables -V` of the binary used. */
  iptablesVersion: string;
  /** Kernel release (`uname -r`). */
  kernel: string;
}

/** What the caller is going to use: `bpf: false` never creates a BPF program. */
export interface HarnessNeeds {
  /** Whether `-m bpf` rules will be installed. @default {true} */
  bpf?: boolean;
}

const SENDER = new URL("./send_frames.py", import.meta.url).pathname;

/** Result of running one command. */
interface _Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** How long one command may take before the kernel is taken for wedged. */
const _TIMEOUT_MS = Number(Deno.env.get("BPFS_KERNEL_TIMEOUT_MS") ?? 20_000);

function _sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The promise's value, or `undefined` when it takes longer than `ms` (no timer left behind). */
async function _within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** One look at /proc: pids of iptables/nft tasks in D state and the bpf_prog_pack sleepers. */
function _dStateSample(): { tools: Map<string, string>; pack: Set<string> } | undefined {
  const tools = new Map<string, string>();
  const pack = new Set<string>();
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^[0-9]+$/.test(entry.name)) continue;
      let stat: string;
      try {
        stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      } catch {
        continue;
      }
      const close = stat.lastIndexOf(")");
      if (stat[close + 2] !== "D") continue;
      const name = stat.slice(stat.indexOf("(") + 1, close);
      if (/^(ip6?tables|nft|xtables)/.test(name)) tools.set(entry.name, name);
      let wchan = "";
      try {
        wchan = Deno.readTextFileSync(`/proc/${entry.name}/wchan`);
      } catch { /* not readable */ }
      if (wchan.startsWith("bpf_prog_pack")) pack.add(entry.name);
    }
  } catch {
    return undefined;
  }
  return { tools, pack };
}

/**
 * A reason when the kernel already shows the BPF JIT deadlock seen on 6.18
 * (tasks stuck in `bpf_prog_pack_*` behind a lock whose holder waits for
 * work the saturated system workqueue never starts) or an iptables/nft
 * process stuck in uninterruptible sleep: every new `-m bpf` rule (and, on
 * the wedged machine, every nftables operation) would hang too, so the live
 * tests skip at once instead of adding stuck processes.
 *
 * No false positive on a healthy machine: a legacy `iptables-restore` sleeps
 * in D state for a moment in `synchronize_net`, and a busy JIT takes the
 * pack mutex briefly; so only tasks found in D state in two looks 1 s apart
 * count (the same iptables/nft pid both times, at least 16 pack sleepers
 * both times). A healthy machine normally shows nothing in the first look
 * and costs no wait.
 */
async function _wedgedKernelReason(): Promise<string | undefined> {
  const first = _dStateSample();
  if (!first || (first.tools.size === 0 && first.pack.size < 16)) return undefined;
  await _sleep(1000);
  const second = _dStateSample();
  if (!second) return undefined;
  const stuckTools = [...second.tools].filter(([pid]) => first.tools.has(pid));
  const stuckPack = [...second.pack].filter((pid) => first.pack.has(pid)).length;
  if (stuckTools.length === 0 && stuckPack < 16) return undefined;
  return `the kernel looks wedged (${stuckPack} tasks blocked in bpf_prog_pack_*, stuck in D ` +
    `state: ${
      stuckTools.slice(0, 3).map(([pid, name]) => `${name} (pid ${pid})`).join(", ") || "none"
    }); live kernel tests need a reboot`;
}

async function _run(args: string[], stdin?: string, timeoutMs = _TIMEOUT_MS): Promise<_Output> {
  const command = new Deno.Command(args[0], {
    args: args.slice(1),
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      child.unref();
      reject(
        new Error(
          `Cannot run '${args.join(" ").slice(0, 120)}': no answer after ${timeoutMs / 1000} s ` +
            "(a wedged kernel? look for processes in D state)",
        ),
      );
    }, timeoutMs);
  });
  const work = (async () => {
    if (stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(stdin));
      await writer.close();
    }
    return await child.output();
  })();
  const output = await Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function _must(args: string[], stdin?: string): Promise<string> {
  const output = await _run(args, stdin);
  if (output.code !== 0) {
    throw new Error(
      `Cannot run '${args.join(" ").slice(0, 200)}': exit ${output.code}: ${output.stderr.trim()}`,
    );
  }
  return output.stdout;
}

function _hex(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += byte.toString(16).padStart(2, "0");
  return text;
}

/**
 * The source MAC that tags frame `tag` (1..0xfffffd): `02:00:00:hh:mm:ll`.
 * Rules dispatch on it with `-m mac --mac-source`.
 */
export function tagMac(tag: number): Uint8Array {
  return Uint8Array.of(0x02, 0x00, 0x00, (tag >>> 16) & 0xff, (tag >>> 8) & 0xff, tag & 0xff);
}

function _macText(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");
}

const _SENTINEL_TAG = 0xfffffe;

/** Counters read back from one family's raw table. */
interface _Counters {
  /** Packets from the sentinel tag. */
  sentinel: number;
  /** Packets per frame tag (its MARK rule). */
  tags: Map<number, number>;
  /** Packets per program rule, in order. */
  programs: number[];
}

/** A minimal valid IPv4/UDP or IPv6 (no next header) frame sent after each frame. */
function _sentinelFrame(family: 4 | 6): Uint8Array {
  if (family === 6) {
    const frame = new Uint8Array(14 + 40);
    frame.set(RECEIVER_MAC, 0);
    frame.set(tagMac(_SENTINEL_TAG), 6);
    frame.set([0x86, 0xdd, 0x60, 0, 0, 0, 0, 0, 59, 64], 12);
    frame.set([0xfe, 0x80], 22); // fe80::1 → fe80::2
    frame[37] = 1;
    frame.set([0xfe, 0x80], 38);
    frame[53] = 2;
    return frame;
  }
  const frame = new Uint8Array(14 + 28);
  frame.set(RECEIVER_MAC, 0);
  frame.set(tagMac(_SENTINEL_TAG), 6);
  frame[12] = 0x08;
  const ip = [0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 198, 0, 1, 10, 198, 0, 2];
  frame.set(ip, 14);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (frame[14 + i] << 8) | frame[15 + i];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const check = ~sum & 0xffff;
  frame[24] = check >>> 8;
  frame[25] = check & 0xff;
  frame.set([0x30, 0x39, 0x30, 0x39, 0, 8, 0, 0], 34);
  return frame;
}

/** Reads newline-terminated lines from a byte stream, with a timeout per line. */
class _LineReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #decoder = new TextDecoder();
  #buffer = "";
  #done = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** The next line, or `undefined` at the end of the stream. */
  async next(timeoutMs: number, what: string): Promise<string | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Cannot ${what}: no answer after ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
    });
    try {
      for (;;) {
        const newline = this.#buffer.indexOf("\n");
        if (newline >= 0) {
          const line = this.#buffer.slice(0, newline);
          this.#buffer = this.#buffer.slice(newline + 1);
          return line;
        }
        if (this.#done) return undefined;
        const chunk = await Promise.race([this.#reader.read(), timeout]);
        if (chunk.done) this.#done = true;
        else this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Releases the stream (cancels what is left). */
  async close(): Promise<void> {
    await this.#reader.cancel().catch(() => undefined);
  }
}

/** The binary for one family and tool (`-restore`, `-save`) of a backend. */
function _tool(backend: IptablesBackend, family: 4 | 6, suffix = ""): string {
  const base = family === 4 ? "iptables" : "ip6tables";
  return backend === "system" ? `${base}${suffix}` : `${base}-${backend}${suffix}`;
}

/** The backend asked for in `BPFS_IPTABLES`, or `undefined` for auto. */
function _requestedBackend(): IptablesBackend | undefined {
  const value = Deno.env.get("BPFS_IPTABLES");
  if (value === undefined || value === "" || value === "auto") return undefined;
  if (value === "legacy" || value === "nft" || value === "system") return value;
  throw new RangeError(
    `Cannot pick an iptables backend: BPFS_IPTABLES=${value} is not legacy, nft, system or auto`,
  );
}

/** The backend resolved by the first harness (auto probes once per process). */
let _resolvedBackend: IptablesBackend | undefined;

/**
 * Wait up to 10 s for the xtables lock (`/run/xtables.lock`, shared with the
 * host's iptables): without it a legacy restore fails at once when another
 * job holds the lock. nf_tables takes no lock (and xtables-nft-restore would
 * read a separate `10` as a file name).
 */
const _LOCK_WAIT: Record<IptablesBackend, string[]> = {
  legacy: ["--wait=10"],
  nft: [],
  system: [],
};

const _EMPTY_RAW = "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";

let _serial = 0;

/**
 * Two network namespaces joined by a veth pair, with the receiver's raw table
 * used as the oracle. Always {@linkcode KernelHarness.close} it (`try/finally`).
 *
 * @example
 * ```ts
 * import { KernelHarness } from "./harness.ts";
 * const reason = await KernelHarness.skipReason();
 * // Opt-in: only with BPFS_KERNEL_TESTS=1 does this touch the kernel.
 * if (reason === undefined) {
 *   const harness = await KernelHarness.open();
 *   try {
 *     const result = await harness.run([], ['-m bpf --bytecode "1,6 0 0 1"']);
 *     console.log(result.delivered);
 *   } finally {
 *     await harness.close();
 *   }
 * }
 * ```
 */
export class KernelHarness {
  /** Names, ifindex and versions. */
  readonly info: HarnessInfo;
  #closed = false;
  /** BPF programs of the last table loaded per family (for the pause when it is replaced). */
  #bpfLoaded: Record<4 | 6, number> = { 4: 0, 6: 0 };

  private constructor(info: HarnessInfo) {
    this.info = info;
  }

  /**
   * Why the kernel tests cannot run here (a message for `ignore`), or
   * `undefined` when namespaces, iptables/ip6tables and the matches work.
   * With `{ bpf: false }` no BPF program is created (only `-m u32` is
   * probed), and a kernel wedged in its BPF JIT is still usable through the
   * legacy backend (nftables may hang there, so auto picks legacy or skips).
   */
  static async skipReason(needs: HarnessNeeds = {}): Promise<string | undefined> {
    const bpf = needs.bpf ?? true;
    if (Deno.env.get("BPFS_KERNEL_TESTS") !== "1") {
      return "live kernel tests are opt-in: set BPFS_KERNEL_TESTS=1 (needs root, netns, iptables)";
    }
    if (Deno.build.os !== "linux") return "kernel tests need Linux";
    if (Deno.uid() !== 0) return "kernel tests need root (network namespaces, iptables)";
    let requested: IptablesBackend | undefined;
    try {
      requested = _requestedBackend();
    } catch (error) {
      return (error as Error).message;
    }
    const wedged = await _wedgedKernelReason();
    if (wedged && (bpf || (requested !== undefined && requested !== "legacy"))) return wedged;
    for (const tool of ["ip", "python3"]) {
      try {
        await _run([tool, "-V"], undefined, 10_000);
      } catch {
        return `kernel tests need '${tool}' on PATH`;
      }
    }
    let harness: KernelHarness | undefined;
    try {
      harness = await KernelHarness.open(wedged ? "legacy" : undefined);
      const matches = bpf ? ['-m bpf --bytecode "1,6 0 0 1"', '-m u32 --u32 "0=0"'] : [
        '-m u32 --u32 "0=0"',
      ];
      for (const family of [4, 6] as const) {
        for (const match of matches) {
          const answer = await harness.accepts(family, match);
          if (!answer.ok) {
            return `kernel tests need '${
              _tool(harness.info.backend, family)
            } ${match}': ${answer.message}`;
          }
        }
      }
    } catch (error) {
      return `kernel tests cannot set up namespaces and iptables: ${(error as Error).message}` +
        (wedged ? ` (and ${wedged})` : "");
    } finally {
      await harness?.close();
    }
    return undefined;
  }

  /**
   * Creates the namespaces and the veth pair, both ends up, MTU 65535, and
   * picks the iptables backend (`force`, else `BPFS_IPTABLES`, else auto).
   */
  static async open(force?: IptablesBackend): Promise<KernelHarness> {
    const id = `${Deno.pid}${(_serial++).toString(36)}`;
    const senderNs = `bpfs-${id}-a`;
    const receiverNs = `bpfs-${id}-b`;
    const senderIf = `bka${id}`.slice(0, 15);
    const receiverIf = `bkb${id}`.slice(0, 15);
    const partial = new KernelHarness({
      senderNs,
      receiverNs,
      senderIf,
      receiverIf,
      receiverIfindex: 0,
      backend: "system",
      iptablesVersion: "",
      kernel: "",
    });
    try {
      await _must(["ip", "netns", "add", senderNs]);
      await _must(["ip", "netns", "add", receiverNs]);
      await _must([
        "ip",
        "link",
        "add",
        senderIf,
        "netns",
        senderNs,
        "type",
        "veth",
        "peer",
        "name",
        receiverIf,
        "netns",
        receiverNs,
      ]);
      const sides = [
        [senderNs, senderIf, SENDER_MAC],
        [receiverNs, receiverIf, RECEIVER_MAC],
      ] as const;
      for (const [ns, ifname, mac] of sides) {
        await _must(["ip", "-n", ns, "link", "set", ifname, "address", _macText(mac)]);
        await _must(["ip", "-n", ns, "link", "set", ifname, "mtu", "65535"]);
        await _must(["ip", "-n", ns, "link", "set", "lo", "up"]);
        await _must(["ip", "-n", ns, "link", "set", ifname, "up"]);
      }
      await _must(["ip", "-n", receiverNs, "addr", "add", "10.198.0.2/24", "dev", receiverIf]);
      const links = JSON.parse(
        await _must(["ip", "-n", receiverNs, "-j", "link", "show", receiverIf]),
      );
      const backend = force ?? _requestedBackend() ?? _resolvedBackend ??
        await partial.#probeLegacy();
      if (_requestedBackend() === undefined) _resolvedBackend = backend;
      const version = (await _run([_tool(backend, 4), "-V"], undefined, 10_000)).stdout.trim();
      const kernel = (await _run(["uname", "-r"])).stdout.trim();
      const info: HarnessInfo = {
        ...partial.info,
        receiverIfindex: links[0].ifindex,
        backend,
        iptablesVersion: version,
        kernel,
      };
      return new KernelHarness(info);
    } catch (error) {
      await partial.close();
      throw error;
    }
  }

  /** "legacy" when both legacy restore tools load an empty raw table here, else "system". */
  async #probeLegacy(): Promise<IptablesBackend> {
    for (const family of [4, 6] as const) {
      try {
        const output = await this.#inReceiver(
          [_tool("legacy", family, "-restore"), ..._LOCK_WAIT.legacy],
          _EMPTY_RAW,
        );
        if (output.code !== 0) return "system";
      } catch {
        return "system";
      }
    }
    return "legacy";
  }

  /** Runs a command inside the receiver namespace. */
  #inReceiver(args: string[], stdin?: string): Promise<_Output> {
    return _run(["ip", "netns", "exec", this.info.receiverNs, ...args], stdin);
  }

  /**
   * Loads one family's raw table with `iptables-restore` (replacing it
   * whole), then waits for the BPF programs of the table it replaced to be
   * freed ({@linkcode freePauseMs}). `bpfRules` is the number of `-m bpf`
   * rules in the new table.
   */
  async #restore(family: 4 | 6, text: string, bpfRules: number): Promise<_Output> {
    const output = await this.#inReceiver(
      [_tool(this.info.backend, family, "-restore"), ..._LOCK_WAIT[this.info.backend]],
      text,
    );
    if (output.code === 0) {
      const freed = this.#bpfLoaded[family];
      this.#bpfLoaded[family] = bpfRules;
      await _sleep(freePauseMs(freed));
    }
    return output;
  }

  /**
   * Whether the kernel (and iptables) accepts a rule with this match in the
   * receiver's raw table: the rule really is installed (`--test` would only
   * check iptables' own parsing), then the table is emptied again.
   */
  async accepts(family: 4 | 6, match: string): Promise<{ ok: boolean; message: string }> {
    const restore = [
      "*raw",
      ":PREROUTING ACCEPT [0:0]",
      ":OUTPUT ACCEPT [0:0]",
      ":probe - [0:0]",
      `-A probe ${match}`,
      "COMMIT",
      "",
    ].join("\n");
    const output = await this.#restore(family, restore, _bpfRules([match]));
    if (output.code === 0) await this.#flush(family);
    return { ok: output.code === 0, message: output.stderr.trim() };
  }

  /** Empties one family's raw table (rules, chains, counters). */
  async #flush(family: 4 | 6): Promise<void> {
    const output = await this.#restore(family, _EMPTY_RAW, 0);
    if (output.code !== 0) {
      throw new Error(`Cannot flush the IPv${family} raw table: ${output.stderr.trim()}`);
    }
  }

  /**
   * Sends every frame once and returns, per rule and frame, whether the
   * kernel's match counted it. `rules` are iptables match arguments
   * (`-m bpf --bytecode "…"`, `-m u32 ! --u32 "…"`); the same list is
   * installed in the table of each family that has frames, once per call,
   * and removed at the end: at most {@linkcode MAX_BPF_RULES} `-m bpf`
   * rules per call (see the module doc).
   */
  async run(frames: readonly KernelFrame[], rules: readonly string[]): Promise<BatchResult> {
    const bpfRules = _bpfRules(rules);
    if (bpfRules > MAX_BPF_RULES) {
      throw new RangeError(
        `Cannot run batch: ${bpfRules} -m bpf rules, more than ${MAX_BPF_RULES} per table ` +
          "(split the rules into several calls)",
      );
    }
    const tags = new Set<number>();
    for (const item of frames) {
      const mac = tagMac(item.tag);
      if (tags.has(item.tag) || !(item.tag >= 1 && item.tag < _SENTINEL_TAG)) {
        throw new RangeError(`Cannot run batch: tag ${item.tag} is repeated or out of range`);
      }
      tags.add(item.tag);
      if (item.frame.length < 14 || mac.some((byte, i) => item.frame[6 + i] !== byte)) {
        throw new RangeError(`Cannot run batch: frame ${item.tag} does not carry its tag MAC`);
      }
    }
    const families = ([4, 6] as const).filter((f) => frames.some((item) => item.family === f));
    const delivered: boolean[] = [];
    const matched = rules.map(() => new Array<boolean>(frames.length).fill(false));
    if (families.length === 0) return { delivered, matched };
    const installed: (4 | 6)[] = [];
    let sender: Deno.ChildProcess | undefined;
    let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
    let replies: _LineReader | undefined;
    let stderr: Promise<string> | undefined;
    let flushError: unknown;
    try {
      for (const family of families) {
        const lines = [
          "*raw",
          ":PREROUTING ACCEPT [0:0]",
          ":OUTPUT ACCEPT [0:0]",
          ":programs - [0:0]",
        ];
        // The sender's own stack (IPv6 router/neighbour solicitations) must not count.
        lines.push(`-A PREROUTING -m mac --mac-source ${_macText(SENDER_MAC)} -j ACCEPT`);
        lines.push(
          `-A PREROUTING -m mac --mac-source ${_macText(tagMac(_SENTINEL_TAG))} -j ACCEPT`,
        );
        for (const frame of frames) {
          if (frame.family !== family) continue;
          const mark = ((frame.mark ?? 0) >>> 0).toString(16);
          lines.push(
            `-A PREROUTING -m mac --mac-source ${
              _macText(tagMac(frame.tag))
            } -j MARK --set-mark 0x${mark}`,
          );
        }
        lines.push("-A PREROUTING -j programs");
        for (const rule of rules) lines.push(`-A programs ${rule}`);
        lines.push("COMMIT", "");
        const output = await this.#restore(family, lines.join("\n"), bpfRules);
        if (output.code !== 0) {
          throw new Error(`Cannot install rules (IPv${family}): ${output.stderr.trim()}`);
        }
        installed.push(family);
      }
      sender = new Deno.Command("ip", {
        args: ["netns", "exec", this.info.senderNs, "python3", SENDER, this.info.senderIf],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      stderr = new Response(sender.stderr).text().catch(() => "");
      writer = sender.stdin.getWriter();
      replies = new _LineReader(sender.stdout);
      const encoder = new TextEncoder();
      const previous = new Map<4 | 6, _Counters>();
      for (const family of families) previous.set(family, await this.#counters(family, rules));
      for (const [index, frame] of frames.entries()) {
        const family = frame.family;
        await writer.write(
          encoder.encode(`${_hex(frame.frame)} ${_hex(_sentinelFrame(family))}\n`),
        );
        const line = await replies.next(_TIMEOUT_MS, `send frame ${frame.tag}`);
        if (line === undefined) {
          throw new Error(
            `Cannot send frames: the sender stopped: ${
              ((await _within(stderr!, 2_000)) ?? "").trim()
            }`,
          );
        }
        const reply = JSON.parse(line) as { sent: number; errors: [number, string][] };
        if (reply.errors.length > 0) {
          throw new Error(`Cannot send frame ${frame.tag}: ${reply.errors[0][1]}`);
        }
        const before = previous.get(family)!;
        let now = await this.#counters(family, rules);
        const deadline = Date.now() + 5_000;
        while (now.sentinel <= before.sentinel) {
          if (Date.now() > deadline) {
            throw new Error(
              `Cannot run batch: the sentinel after frame ${frame.tag} never arrived`,
            );
          }
          await _sleep(5);
          now = await this.#counters(family, rules);
        }
        if (now.sentinel !== before.sentinel + 1) {
          throw new Error(
            `Cannot run batch: ${now.sentinel - before.sentinel} sentinels counted after frame ` +
              `${frame.tag} (stray traffic?)`,
          );
        }
        const arrived = (now.tags.get(frame.tag) ?? 0) - (before.tags.get(frame.tag) ?? 0);
        if (arrived > 1) {
          throw new Error(`Cannot run batch: frame ${frame.tag} was counted ${arrived} times`);
        }
        delivered.push(arrived === 1);
        rules.forEach((_, r) => {
          const count = now.programs[r] - before.programs[r];
          if (count > 1 || (count === 1 && arrived !== 1)) {
            throw new Error(
              `Cannot run batch: rule ${r} counted ${count} packets for frame ${frame.tag}`,
            );
          }
          matched[r][index] = count === 1;
        });
        previous.set(family, now);
      }
    } finally {
      await writer?.close().catch(() => undefined);
      await replies?.close();
      if (sender) {
        if (!(await _within(sender.status, 5_000))) {
          try {
            sender.kill("SIGKILL");
          } catch { /* gone */ }
          await _within(sender.status, 5_000);
        }
        await _within(stderr!, 1_000);
      }
      for (const family of installed) {
        try {
          await this.#flush(family);
        } catch (error) {
          // A batch error thrown above wins; the namespaces go away in close() anyway.
          flushError ??= error;
        }
      }
    }
    if (flushError !== undefined) throw flushError;
    return { delivered, matched };
  }

  /** Packet counters of one family's raw table. */
  async #counters(family: 4 | 6, rules: readonly string[]): Promise<_Counters> {
    const output = await this.#inReceiver([
      _tool(this.info.backend, family, "-save"),
      "-c",
      "-t",
      "raw",
    ]);
    if (output.code !== 0) throw new Error(`Cannot read counters: ${output.stderr.trim()}`);
    const result: _Counters = { sentinel: 0, tags: new Map(), programs: [] };
    const sentinel = _macText(tagMac(_SENTINEL_TAG));
    for (const line of output.stdout.split("\n")) {
      const found = /^\[(\d+):\d+\] -A (\S+) (.*)$/.exec(line);
      if (!found) continue;
      const count = Number(found[1]);
      if (found[2] === "programs") {
        result.programs.push(count);
        continue;
      }
      const mac = /--mac-source (\S+)/i.exec(found[3]);
      if (!mac) continue;
      const text = mac[1].toLowerCase();
      if (text === sentinel) result.sentinel = count;
      else if (text.startsWith("02:00:00:")) {
        const tag = parseInt(text.slice(9).replaceAll(":", ""), 16);
        result.tags.set(tag, count);
      }
    }
    if (result.programs.length !== rules.length) {
      throw new Error(
        `Cannot read the program counters (IPv${family}): ${result.programs.length} rules ` +
          `in 'programs', expected ${rules.length}`,
      );
    }
    return result;
  }

  /** Runs a command in the receiver namespace (for benchmarks and probes). */
  inReceiver(
    args: string[],
    stdin?: string,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.#inReceiver(args, stdin);
  }

  /** Deletes both namespaces (and the veth pair); safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const family of [4, 6] as const) {
      // Tables still holding BPF programs (a failed flush) are freed with the namespace;
      // keep the pause so a following harness does not pile frees on top.
      await _sleep(freePauseMs(this.#bpfLoaded[family]));
    }
    for (const ns of [this.info.senderNs, this.info.receiverNs]) {
      await _run(["ip", "netns", "del", ns]).catch(() => undefined);
    }
  }
}

/** How many of the match arguments are `-m bpf` matches. */
function _bpfRules(rules: readonly string[]): number {
  return rules.filter((rule) => /(^|\s)-m\s+bpf(\s|$)/.test(rule)).length;
}
