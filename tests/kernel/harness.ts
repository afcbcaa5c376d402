/**
 * Test helper: the real Linux kernel as an oracle for `xt_bpf` and `xt_u32`.
 *
 * {@linkcode KernelHarness.open} creates two network namespaces joined by a
 * veth pair (names unique to this process); {@linkcode KernelHarness.run}
 * installs one counting rule per program in the receiver's raw table
 * (iptables for IPv4, ip6tables for IPv6; one `iptables-restore` per call),
 * then sends the frames one by one from the other namespace with an
 * `AF_PACKET` socket (send_frames.py, one long-lived process) and reads the
 * counters after each, so that every (packet, program) pair gets the
 * kernel's verdict:
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
 * Why one rule per program and not one per (frame, program) with a single
 * counter read: every `-m bpf` rule is a JIT-compiled BPF program, and
 * flushing tens of thousands of them at once queues as many deferred frees
 * on the kernel's system workqueue. On 6.18 that deadlocked the machine this
 * was developed on (2047 kworkers in `bpf_prog_pack_free` waiting for the
 * pack mutex, whose holder waited in `vfree` → `__purge_vmap_area_lazy` →
 * `flush_work` for a work item the saturated queue never started; every
 * later BPF JIT and nftables operation hung). Keep `-m bpf` rules per call
 * in the hundreds. Every command has a timeout, so a wedged kernel makes the
 * tests skip or fail rather than hang.
 *
 * Nothing leaves the two namespaces: the frames are sent on the veth and
 * only ever reach the peer; {@linkcode KernelHarness.close} deletes both
 * namespaces (and with them the veth), also when a batch failed.
 */

/** Receiver MAC address the harness gives its veth (locally administered). */
export const RECEIVER_MAC: Uint8Array = Uint8Array.of(0x02, 0x62, 0x70, 0x66, 0x00, 0x02);
/** Sender MAC address (frames are re-tagged per batch; see the module doc). */
export const SENDER_MAC: Uint8Array = Uint8Array.of(0x02, 0x62, 0x70, 0x66, 0x00, 0x01);

/** One frame to send: the whole Ethernet frame and the family's table. */
export interface KernelFrame {
  /** The Ethernet frame from the destination MAC on. */
  frame: Uint8Array;
  /** Which table sees it: 4 = iptables, 6 = ip6tables. */
  family: 4 | 6;
  /** `skb->mark` set by a MARK rule before the program rules. @default {0} */
  mark?: number;
  /** Unique tag of the frame in its batch, 1..0xfffffe; the frame's source
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
  /** `iptables -V` of the binary used. */
  iptablesVersion: string;
  /** Kernel release (`uname -r`). */
  kernel: string;
}

const SENDER = new URL("./send_frames.py", import.meta.url).pathname;

/** Result of running one command. */
interface _Output {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A reason when the kernel already shows the BPF JIT deadlock seen on 6.18
 * (kworkers stuck in `bpf_prog_pack_free` behind a lock whose holder waits for
 * work the saturated system workqueue never starts) or an iptables process
 * stuck in uninterruptible sleep: every new `-m bpf` rule would hang too, so
 * the live tests skip at once instead of adding stuck processes.
 */
function _wedgedKernelReason(): string | undefined {
  let stuckPack = 0;
  const stuckTools: string[] = [];
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
      if (/^(ip6?tables|nft)/.test(name)) stuckTools.push(`${name} (pid ${entry.name})`);
      let wchan = "";
      try {
        wchan = Deno.readTextFileSync(`/proc/${entry.name}/wchan`);
      } catch { /* not readable */ }
      if (wchan.startsWith("bpf_prog_pack")) stuckPack++;
    }
  } catch {
    return undefined;
  }
  if (stuckTools.length === 0 && stuckPack < 16) return undefined;
  return `the kernel looks wedged (${stuckPack} tasks blocked in bpf_prog_pack_*, ` +
    `stuck: ${stuckTools.slice(0, 3).join(", ") || "none"}); live kernel tests need a reboot`;
}

/** How long one command may take before the kernel is taken for wedged. */
const _TIMEOUT_MS = 60_000;

async function _run(args: string[], stdin?: string): Promise<_Output> {
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
          `Cannot run '${args.join(" ").slice(0, 120)}': no answer after ${_TIMEOUT_MS / 1000} s ` +
            "(a wedged kernel? look for processes in D state)",
        ),
      );
    }, _TIMEOUT_MS);
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
 * The source MAC that tags frame `tag` (1..0xfffffe): `02:00:00:hh:mm:ll`.
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

/** Lines of a byte stream. */
async function* _lines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string, void, undefined> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
    }
  }
}

/** Which iptables flavour to use: `BPFS_IPTABLES=legacy` picks iptables-legacy. */
function _tool(family: 4 | 6, suffix = ""): string {
  const base = family === 4 ? "iptables" : "ip6tables";
  const flavour = Deno.env.get("BPFS_IPTABLES");
  return flavour === "legacy" || flavour === "nft"
    ? `${base}-${flavour}${suffix}`
    : `${base}${suffix}`;
}

let _serial = 0;

/**
 * Two network namespaces joined by a veth pair, with the receiver's raw table
 * used as the oracle. Always {@linkcode KernelHarness.close} it (`try/finally`).
 *
 * @example
 * ```ts
 * import { KernelHarness } from "./harness.ts";
 * const reason = await KernelHarness.skipReason();
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

  private constructor(info: HarnessInfo) {
    this.info = info;
  }

  /**
   * Why the kernel tests cannot run here (a message for `ignore`), or
   * `undefined` when namespaces, iptables/ip6tables and both matches work.
   */
  static async skipReason(): Promise<string | undefined> {
    if (Deno.env.get("BPFS_KERNEL_TESTS") === "0") {
      return "kernel tests disabled (BPFS_KERNEL_TESTS=0)";
    }
    if (Deno.build.os !== "linux") return "kernel tests need Linux";
    if (Deno.uid() !== 0) return "kernel tests need root (network namespaces, iptables)";
    const wedged = _wedgedKernelReason();
    if (wedged) return wedged;
    for (const tool of ["ip", _tool(4), _tool(6), _tool(4, "-restore"), "python3"]) {
      try {
        await _run([tool, "-V"]);
      } catch {
        return `kernel tests need '${tool}' on PATH`;
      }
    }
    let harness: KernelHarness | undefined;
    try {
      harness = await KernelHarness.open();
      for (const family of [4, 6] as const) {
        for (const match of ['-m bpf --bytecode "1,6 0 0 1"', '-m u32 --u32 "0=0"']) {
          const answer = await harness.accepts(family, match);
          if (!answer.ok) {
            return `kernel tests need '${_tool(family)} ${match}': ${answer.message}`;
          }
        }
      }
    } catch (error) {
      return `kernel tests cannot set up namespaces: ${(error as Error).message}`;
    } finally {
      await harness?.close();
    }
    return undefined;
  }

  /** Creates the namespaces and the veth pair, both ends up, MTU 65535. */
  static async open(): Promise<KernelHarness> {
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
      const version = (await _run([_tool(4), "-V"])).stdout.trim();
      const kernel = (await _run(["uname", "-r"])).stdout.trim();
      const info: HarnessInfo = {
        ...partial.info,
        receiverIfindex: links[0].ifindex,
        iptablesVersion: version,
        kernel,
      };
      return new KernelHarness(info);
    } catch (error) {
      await partial.close();
      throw error;
    }
  }

  /** Runs a command inside the receiver namespace. */
  #inReceiver(args: string[], stdin?: string): Promise<_Output> {
    return _run(["ip", "netns", "exec", this.info.receiverNs, ...args], stdin);
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
    const output = await this.#inReceiver([_tool(family, "-restore")], restore);
    if (output.code === 0) await this.#flush();
    return { ok: output.code === 0, message: output.stderr.trim() };
  }

  /** Flushes both raw tables (rules, chains, counters). */
  async #flush(): Promise<void> {
    for (const family of [4, 6] as const) {
      const restore = "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";
      const output = await this.#inReceiver([_tool(family, "-restore")], restore);
      if (output.code !== 0) throw new Error(`Cannot flush raw table: ${output.stderr.trim()}`);
    }
  }

  /**
   * Sends every frame once and returns, per rule and frame, whether the
   * kernel's match counted it. `rules` are iptables match arguments
   * (`-m bpf --bytecode "…"`, `-m u32 ! --u32 "…"`); the same list is
   * installed for both families, once per call: keep the number of `-m bpf`
   * rules per call in the hundreds (see the module doc).
   */
  async run(frames: readonly KernelFrame[], rules: readonly string[]): Promise<BatchResult> {
    const tags = new Set<number>();
    for (const item of frames) {
      const mac = tagMac(item.tag);
      if (tags.has(item.tag) || item.tag < 1 || item.tag >= 0xfffffe) {
        throw new RangeError(`Cannot run batch: tag ${item.tag} is repeated or out of range`);
      }
      tags.add(item.tag);
      if (mac.some((byte, i) => item.frame[6 + i] !== byte)) {
        throw new RangeError(`Cannot run batch: frame ${item.tag} does not carry its tag MAC`);
      }
    }
    for (const family of [4, 6] as const) {
      const lines = [
        "*raw",
        ":PREROUTING ACCEPT [0:0]",
        ":OUTPUT ACCEPT [0:0]",
        ":programs - [0:0]",
      ];
      // The sender's own stack (IPv6 router/neighbour solicitations) must not count.
      lines.push(`-A PREROUTING -m mac --mac-source ${_macText(SENDER_MAC)} -j ACCEPT`);
      lines.push(`-A PREROUTING -m mac --mac-source ${_macText(tagMac(_SENTINEL_TAG))} -j ACCEPT`);
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
      const output = await this.#inReceiver([_tool(family, "-restore")], lines.join("\n"));
      if (output.code !== 0) {
        await this.#flush();
        throw new Error(`Cannot install rules (IPv${family}): ${output.stderr.trim()}`);
      }
    }
    const sender = new Deno.Command("ip", {
      args: ["netns", "exec", this.info.senderNs, "python3", SENDER, this.info.senderIf],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const writer = sender.stdin.getWriter();
    const replies = _lines(sender.stdout);
    const encoder = new TextEncoder();
    try {
      const delivered: boolean[] = [];
      const matched = rules.map(() => new Array<boolean>(frames.length).fill(false));
      const previous: Record<4 | 6, _Counters> = {
        4: await this.#counters(4),
        6: await this.#counters(6),
      };
      for (const [index, frame] of frames.entries()) {
        const family = frame.family;
        await writer.write(
          encoder.encode(`${_hex(frame.frame)} ${_hex(_sentinelFrame(family))}\n`),
        );
        const reply = JSON.parse((await replies.next()).value ?? "null") as
          | { sent: number; errors: [number, string][] }
          | null;
        if (!reply) throw new Error("Cannot send frames: the sender stopped");
        if (reply.errors.length > 0) {
          throw new Error(`Cannot send frame ${frame.tag}: ${reply.errors[0][1]}`);
        }
        let now = await this.#counters(family);
        for (let wait = 0; now.sentinel <= previous[family].sentinel; wait++) {
          if (wait > 200) {
            throw new Error(
              `Cannot run batch: the sentinel after frame ${frame.tag} never arrived`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 5));
          now = await this.#counters(family);
        }
        const before = previous[family];
        const arrived = (now.tags.get(frame.tag) ?? 0) - (before.tags.get(frame.tag) ?? 0);
        if (arrived > 1) {
          throw new Error(`Cannot run batch: frame ${frame.tag} was counted ${arrived} times`);
        }
        delivered.push(arrived === 1);
        if (now.programs.length !== rules.length) {
          throw new Error("Cannot read the program counters");
        }
        rules.forEach((_, r) => {
          const count = now.programs[r] - before.programs[r];
          if (count > 1 || (count === 1 && arrived !== 1)) {
            throw new Error(
              `Cannot run batch: rule ${r} counted ${count} packets for frame ${frame.tag}`,
            );
          }
          matched[r][index] = count === 1;
        });
        previous[family] = now;
      }
      return { delivered, matched };
    } finally {
      await writer.close().catch(() => undefined);
      await replies.return(undefined).catch(() => undefined);
      await sender.status;
      await this.#flush();
    }
  }

  /** Packet counters of one family's raw table. */
  async #counters(family: 4 | 6): Promise<_Counters> {
    const output = await this.#inReceiver([_tool(family, "-save"), "-c", "-t", "raw"]);
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
    for (const ns of [this.info.senderNs, this.info.receiverNs]) {
      await _run(["ip", "netns", "del", ns]).catch(() => undefined);
    }
  }
}
