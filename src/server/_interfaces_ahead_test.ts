import assert from "node:assert/strict";
import { createApp } from "./app.ts";
import { MemoryRuleSetStore } from "./memory_rule_set_store.ts";
import { _interfacesAhead } from "./_interfaces_ahead.ts";
import { _ipv4Frame } from "./_test_helpers.ts";
import { concat, epb, idb, pcapHeader, pcapRecord, shb } from "../capture/_test_captures.ts";
import { compileRuleSet } from "../rules/compile_rule_set.ts";
import { compileRuleSetAsync } from "../rules/compile_rule_set_async.ts";
import { parseRuleSet } from "../rules/parse_rule_set.ts";
import { RouterStream } from "../stream/router_stream.ts";
import { _testMakingBudget } from "../rules/_test_making_budget.ts";

const TOKEN = "test-token-0123456789";

/** `count` count-only link-base `!` rules a TCP frame reaches all of, then a DROP of port 80. */
function _linkSet(count: number): string {
  const lines = ["*filter", ":INPUT ACCEPT [0:0]"];
  for (let i = 0; i < count; i++) {
    lines.push(`-A INPUT -m bpf --base link ! --expr "tcp dst port ${1000 + i}"`);
  }
  lines.push('-A INPUT -m bpf --base link --expr "tcp dst port 80" -j DROP', "COMMIT", "");
  return lines.join("\n");
}

/** A TCP frame to port 80 (odd `i`) or 1000 + `i` (even), as Ethernet. */
function _tcp(i: number): Uint8Array {
  const frame = _ipv4Frame(6, 20, i);
  const port = i % 2 === 1 ? 80 : 1000 + i;
  frame[36] = port >> 8;
  frame[37] = port & 0xff;
  return frame;
}

/** The same IP packet as a Linux cooked (SLL) frame. */
function _sll(ethernet: Uint8Array): Uint8Array {
  const frame = new Uint8Array(16 + ethernet.length - 14);
  frame.set([0, 0, 0, 1, 0, 6, 0, 1, 2, 3, 4, 5, 0, 0, 0x08, 0x00]);
  frame.set(ethernet.subarray(14), 16);
  return frame;
}

const RAW_PCAP = concat(
  pcapHeader({ linkType: 101 }),
  ...[0, 1, 2, 3].map((i) => pcapRecord(_tcp(i).subarray(14))),
);
const PCAPNG = concat(
  shb({ little: false }),
  idb({ little: false, linkType: 1 }),
  idb({ little: false, linkType: 101 }),
  idb({ little: false, linkType: 113, snaplen: 1500 }),
  ...[0, 1, 2, 3, 4, 5].map((i) =>
    epb(i % 3 === 1 ? _tcp(i).subarray(14) : i % 3 === 2 ? _sll(_tcp(i)) : _tcp(i), {
      little: false,
      interfaceId: i % 3,
    })
  ),
);

/** What rule-by-rule evaluation (tests made on first call, unlimited budget) routes and counts. */
async function _reference(text: string, capture: Uint8Array) {
  const saved = _testMakingBudget.budgetMs;
  _testMakingBudget.budgetMs = Number.POSITIVE_INFINITY;
  try {
    const rules = compileRuleSet(parseRuleSet(text), { evaluation: "rule-by-rule" });
    const router = new RouterStream(rules);
    const [, out] = await Promise.all([
      new Blob([capture as Uint8Array<ArrayBuffer>]).stream().pipeTo(router.writable),
      new Response(router.readable).bytes(),
    ]);
    return { out, counters: rules.counters().chains.INPUT.rules.map((r) => r.packets) };
  } finally {
    _testMakingBudget.budgetMs = saved;
  }
}

/**
 * Runs `run` with the making budget spent, and asserts that no program was
 * made or interpreted inside a frame meanwhile (each would count in
 * `made` or `interpreted`).
 */
async function _nothingMadeInFrames<T>(run: () => Promise<T>): Promise<T> {
  const b = _testMakingBudget;
  const saved = { windowMs: b.windowMs, budgetMs: b.budgetMs };
  b.windowMs = Number.POSITIVE_INFINITY;
  b.budgetMs = 0;
  b.windowStart = Number.NEGATIVE_INFINITY;
  const [made, interpreted] = [b.made, b.interpreted];
  let result: T;
  try {
    result = await run();
  } finally {
    b.windowMs = saved.windowMs;
    b.budgetMs = saved.budgetMs;
    b.windowStart = Number.NEGATIVE_INFINITY;
  }
  assert.equal(b.made, made, "programs were made inside frames");
  assert.equal(b.interpreted, interpreted, "programs were interpreted inside frames");
  return result;
}

/**
 * Stores `text` as set `name`, posts `capture` through it with the making
 * budget spent, and asserts the bytes and rule counters rule-by-rule
 * evaluation gives, with no program made inside a frame; returns the reference.
 */
async function _assertRoutedAhead(
  app: ReturnType<typeof createApp>,
  name: string,
  text: string,
  capture: Uint8Array,
): Promise<{ out: Uint8Array; counters: number[] }> {
  const put = await app.request(`/rulesets/${name}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${TOKEN}` },
    body: text,
  });
  assert.equal(put.status, 201);
  const want = await _reference(text, capture);
  const out = await _nothingMadeInFrames(async () => {
    const response = await app.request(`/rulesets/${name}/filter`, {
      method: "POST",
      body: capture as Uint8Array<ArrayBuffer>,
    });
    assert.equal(response.status, 200);
    return await response.bytes();
  });
  assert.deepEqual(out, want.out);
  const counters = await (await app.request(`/rulesets/${name}/counters`)).json();
  assert.deepEqual(
    counters.counters.chains.INPUT.rules.map((r: { packets: number }) => r.packets),
    want.counters,
  );
  return want;
}

for (const [what, capture] of [["raw-IP pcap", RAW_PCAP], ["pcapng of 3 link types", PCAPNG]]) {
  Deno.test(`POST /filter (${what}) through link-base rules makes no program inside a frame`, async () => {
    const app = createApp({ store: new MemoryRuleSetStore(), token: TOKEN });
    await _assertRoutedAhead(app, "link", _linkSet(200), capture as Uint8Array);
  });
}

Deno.test("the interface watch finds each declared interface, however the upload is split", async () => {
  const compiled = await compileRuleSetAsync(parseRuleSet(_linkSet(3)));
  for (const size of [1, 7, 64, PCAPNG.length]) {
    const ahead = _interfacesAhead({}, 1, "pcapng");
    const waits: number[] = [];
    for (let at = 0; at < PCAPNG.length; at += size) {
      const ready = ahead.read(PCAPNG.subarray(at, at + size), compiled);
      if (ready !== undefined) {
        waits.push(ahead.interfaces.length);
        await ready;
      }
    }
    assert.deepEqual(ahead.interfaces.map((i) => [i.linkType, i.littleEndian]), [
      [1, false],
      [101, false],
      [113, false],
    ]);
    assert.equal(waits.at(-1), 3, `pieces of ${size} B`);
  }
  // A set without link-base programs: interfaces read, nothing to wait for.
  const network = await compileRuleSetAsync(parseRuleSet('-A INPUT -m bpf --expr "tcp"\n'));
  const ng = _interfacesAhead({}, 1, "pcapng");
  assert.equal(ng.read(PCAPNG, network), undefined);
  assert.equal(ng.interfaces.length, 3);
  // A pcap stream is watched (a PUT may bring link-base rules), its header only.
  const pcap = _interfacesAhead({}, 1, "pcap");
  assert.equal(pcap.read(RAW_PCAP.subarray(0, 30), network), undefined);
  assert.deepEqual(pcap.interfaces.map((i) => i.linkType), [101]);
  assert.equal(pcap.read(new Uint8Array(64).fill(0xff), network), undefined, "records: not read");
});

Deno.test("a PUT that brings link-base rules to a running pcap stream makes them for its interface before its frames", async () => {
  const app = createApp({ store: new MemoryRuleSetStore(), token: TOKEN });
  const put = (body: string) =>
    app.request("/rulesets/swap", {
      method: "PUT",
      headers: { authorization: `Bearer ${TOKEN}` },
      body,
    });
  // The stream starts on a set without link-base programs.
  assert.equal((await put('-A INPUT -m bpf --expr "tcp dst port 80" -j DROP\n')).status, 201);
  let upload!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (upload = c) });
  const frames = [0, 1, 2, 3].map((i) => pcapRecord(_tcp(i).subarray(14)));
  upload.enqueue(concat(pcapHeader({ linkType: 101 }), frames[0]));
  const response = await app.request("/rulesets/swap/filter", { method: "POST", body });
  assert.equal(response.status, 200);
  const out = response.bytes();
  // Running: the set is replaced by one with link-base rules (the router switches to it).
  const text = _linkSet(200);
  assert.equal((await put(text)).status, 200);
  await _nothingMadeInFrames(async () => {
    for (const frame of frames.slice(1)) upload.enqueue(frame);
    upload.close();
    await out;
  });
  // The frames after the swap, counted by the new set as rule by rule would.
  const want = await _reference(text, concat(pcapHeader({ linkType: 101 }), ...frames.slice(1)));
  const counters = await (await app.request("/rulesets/swap/counters")).json();
  assert.deepEqual(
    counters.counters.chains.INPUT.rules.map((r: { packets: number }) => r.packets),
    want.counters,
  );
});

Deno.test("a PUT that lands while a stream's piece waits for the loop budget makes its programs before that piece", async () => {
  // Paced intake (two streams share the budget): each piece waits for a timer, the PUT lands meanwhile.
  const app = createApp({
    store: new MemoryRuleSetStore(),
    token: TOKEN,
    limits: { streamIntakeBytesPerSecond: 2_000_000 },
  });
  const put = (body: string) =>
    app.request("/rulesets/race", {
      method: "PUT",
      headers: { authorization: `Bearer ${TOKEN}` },
      body,
    });
  assert.equal((await put(_linkSet(200))).status, 201);
  const uploads: ReadableStreamDefaultController<Uint8Array>[] = [];
  const outs: Promise<Uint8Array>[] = [];
  for (let s = 0; s < 2; s++) {
    const body = new ReadableStream<Uint8Array>({ start: (c) => void uploads.push(c) });
    uploads[s].enqueue(pcapHeader({ linkType: 101 }));
    const response = await app.request("/rulesets/race/filter", { method: "POST", body });
    assert.equal(response.status, 200);
    outs.push(response.bytes());
  }
  const records = Array.from({ length: 4000 }, (_, i) => pcapRecord(_tcp(i).subarray(14)));
  await _nothingMadeInFrames(async () => {
    // Another version of the set (other expressions: programs of its own) comes in while they run.
    const replaced = put(_linkSet(201).replaceAll("tcp dst port 1", "tcp src port 1"));
    for (const upload of uploads) upload.enqueue(concat(...records));
    assert.equal((await replaced).status, 200);
    for (const upload of uploads) {
      upload.enqueue(concat(...records.slice(0, 8)));
      upload.close();
    }
    await Promise.all(outs);
  });
});

Deno.test("a pcapng of 500 unknown link types and both byte orders: programs made ahead once per key, verdicts as rule by rule", async () => {
  const text = [
    "*filter",
    ":INPUT ACCEPT [0:0]",
    ":SUB - [0:0]",
    ..._linkSet(50).split("\n").filter((l) => l.startsWith("-A INPUT") && !l.includes("-j")),
    '-A INPUT -m bpf --base link ! --expr "ip" -j SUB',
    '-A INPUT -m bpf --base link --expr "tcp dst port 80" -j DROP',
    '-A INPUT -m bpf --base link ! --expr "udp"',
    '-A SUB -m bpf --base link --expr "ip6" -j RETURN',
    "-A SUB -g SUB2",
    ":SUB2 - [0:0]",
    "-A SUB2 -j DROP",
    "COMMIT",
    "",
  ].join("\n");
  const ip = (i: number) => (i % 3 === 2 ? _ipv4Frame(17, 20, i) : _tcp(i)).subarray(14);
  const framed = (linkType: number, little: boolean, i: number): Uint8Array => {
    if (linkType === 1) return i % 3 === 2 ? _ipv4Frame(17, 20, i) : _tcp(i);
    if (linkType === 0) return concat(new Uint8Array(little ? [2, 0, 0, 0] : [0, 0, 0, 2]), ip(i));
    if (linkType === 108) return concat(new Uint8Array([0, 0, 0, 2]), ip(i));
    return _tcp(i);
  };
  const section = (little: boolean, linkTypes: number[]) =>
    concat(
      shb({ little }),
      ...linkTypes.map((linkType) => idb({ little, linkType })),
      ...linkTypes.flatMap((linkType, interfaceId) =>
        [0, 1, 2].map((i) => epb(framed(linkType, little, i), { little, interfaceId }))
      ),
    );
  const unknown = Array.from({ length: 500 }, (_, i) => 300 + i);
  const capture = concat(
    section(true, [0, 1, 108, ...unknown]),
    section(false, [0, 1, 108, 9, ...unknown]),
  );
  const app = createApp({ store: new MemoryRuleSetStore(), token: TOKEN });
  const want = await _assertRoutedAhead(app, "many", text, capture);
  // Some frames of each kind were accepted and some dropped (the oracle is not trivial).
  assert.ok(want.out.length > 100 && want.out.length < capture.length);
});

Deno.test("after a PUT and a DELETE while a pcapng stream runs, a late interface gets the programs of the set its router runs", async () => {
  const app = createApp({ store: new MemoryRuleSetStore(), token: TOKEN });
  const request = (method: string, body?: string) =>
    app.request("/rulesets/late", {
      method,
      headers: { authorization: `Bearer ${TOKEN}` },
      body,
    });
  assert.equal((await request("PUT", _linkSet(20))).status, 201);
  let upload!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (upload = c) });
  upload.enqueue(concat(shb(), idb({ linkType: 1 }), epb(_tcp(0))));
  const response = await app.request("/rulesets/late/filter", { method: "POST", body });
  assert.equal(response.status, 200);
  const out = response.bytes();
  // The router switches to the new version; the DELETE leaves it running on it.
  const text = _linkSet(200).replaceAll("tcp dst port 1", "tcp src port 1");
  assert.equal((await request("PUT", text)).status, 200);
  assert.equal((await request("DELETE")).status, 200);
  await _nothingMadeInFrames(async () => {
    // A raw-IP interface declared late, and its frames.
    upload.enqueue(idb({ linkType: 101 }));
    for (const i of [1, 2, 3]) upload.enqueue(epb(_tcp(i).subarray(14), { interfaceId: 1 }));
    upload.close();
    await out;
  });
});

Deno.test("a PUT that brings link-base rules to a running pcapng stream makes them for its interfaces, old and late, before their frames", async () => {
  const app = createApp({ store: new MemoryRuleSetStore(), token: TOKEN });
  const put = (body: string) =>
    app.request("/rulesets/swapng", {
      method: "PUT",
      headers: { authorization: `Bearer ${TOKEN}` },
      body,
    });
  // The stream starts on a set without link-base programs, on a raw-IP interface.
  assert.equal((await put('-A INPUT -m bpf --expr "tcp dst port 80" -j DROP\n')).status, 201);
  let upload!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (upload = c) });
  upload.enqueue(concat(shb(), idb({ linkType: 101 }), epb(_tcp(0).subarray(14))));
  const response = await app.request("/rulesets/swapng/filter", { method: "POST", body });
  assert.equal(response.status, 200);
  const out = response.bytes();
  // Running: the set is replaced by one with link-base rules (the router switches to it).
  const text = _linkSet(200);
  assert.equal((await put(text)).status, 200);
  const after = [
    epb(_tcp(1).subarray(14)),
    idb({ linkType: 113, snaplen: 1500 }),
    epb(_sll(_tcp(2)), { interfaceId: 1 }),
    epb(_tcp(3).subarray(14)),
    epb(_sll(_tcp(5)), { interfaceId: 1 }),
  ];
  await _nothingMadeInFrames(async () => {
    // Frames on the interface declared before the PUT, then a late interface (split mid-block).
    const rest = concat(...after);
    upload.enqueue(rest.subarray(0, 50));
    upload.enqueue(rest.subarray(50));
    upload.close();
    await out;
  });
  // The frames after the swap, counted by the new set as rule by rule would.
  const want = await _reference(text, concat(shb(), idb({ linkType: 101 }), ...after));
  const counters = await (await app.request("/rulesets/swapng/counters")).json();
  assert.deepEqual(
    counters.counters.chains.INPUT.rules.map((r: { packets: number }) => r.packets),
    want.counters,
  );
  assert.ok(want.counters.at(-1)! > 0 && want.counters[0] > 0, "the oracle counts frames");
});
