import assert from "node:assert/strict";
import { _formatAddress, _parseNetwork } from "./_ip.ts";
import { _keepNetwork, _MAX_CACHED_NETWORKS, _parsedNetwork } from "./_network_texts.ts";

/** A seeded xorshift32: numbers in [0, 2^32). */
function _random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** A random `-s`/`-d` text as a user may write it: IPv4, IPv6 (zero runs, embedded IPv4), prefix or mask. */
function _randomText(next: () => number): string {
  const v4 = () => [0, 1, 2, 3].map(() => next() % 4 === 0 ? 0 : next() & 0xff).join(".");
  const group = () => (next() % 3 === 0 ? 0 : next() & 0xffff).toString(16);
  let address: string;
  switch (next() % 5) {
    case 0:
    case 1:
      address = v4();
      break;
    case 2:
      address = Array.from({ length: 8 }, group).join(":");
      break;
    case 3:
      address = `${Array.from({ length: next() % 3 }, group).join(":")}::${
        Array.from({ length: next() % 3 }, group).join(":")
      }`;
      break;
    default:
      address = `::ffff:${v4()}`;
  }
  const bits = address.includes(":") ? 128 : 32;
  switch (next() % 4) {
    case 0:
      return address;
    case 1:
      return `${address}/${next() % (bits + 1)}`;
    case 2: {
      if (bits === 128) return `${address}/${next() % 129}`;
      const length = next() % 33;
      const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
      return `${address}/${[24, 16, 8, 0].map((s) => (mask >>> s) & 0xff).join(".")}`;
    }
    default:
      return `${address}/${bits}`;
  }
}

Deno.test("_parseNetwork of a network's canonical text gives the same network (what _keepNetwork relies on)", () => {
  const next = _random(0x11c0);
  let v6 = 0;
  for (let i = 0; i < 5000; i++) {
    const text = _randomText(next);
    const network = _parseNetwork(text);
    assert.notEqual(typeof network, "string", text);
    if (typeof network === "string") continue;
    if (network.version === 6) v6++;
    const canonical = `${_formatAddress(network.bytes)}/${network.prefixLength}`;
    assert.deepEqual(_parseNetwork(canonical), network, `${text} → ${canonical}`);
  }
  assert.ok(v6 > 1000 && v6 < 4000, `${v6} IPv6 networks`);
});

Deno.test("_parsedNetwork() gives the network kept under its text, else parses (and keeps) it", () => {
  const kept = _parseNetwork("10.9.8.0/24");
  assert.notEqual(typeof kept, "string");
  _keepNetwork("10.9.8.0/24", kept as Exclude<typeof kept, string>);
  assert.equal(_parsedNetwork("10.9.8.0/24"), kept);
  const parsed = _parsedNetwork("2001:db8::/32");
  assert.deepEqual(parsed, _parseNetwork("2001:db8::/32"));
  assert.equal(_parsedNetwork("2001:db8::/32"), parsed);
  // Texts that do not parse give the reason, every time.
  assert.equal(_parsedNetwork("host.example/8"), _parseNetwork("host.example/8"));
  assert.equal(typeof _parsedNetwork("host.example/8"), "string");
});

Deno.test("_keepNetwork() keeps at most _MAX_CACHED_NETWORKS networks, forgetting the oldest first", () => {
  const first = _parseNetwork("172.16.0.1/32") as Exclude<ReturnType<typeof _parseNetwork>, string>;
  _keepNetwork("172.16.0.1/32", first);
  for (let i = 0; i < _MAX_CACHED_NETWORKS; i++) {
    const text = `11.${(i >>> 16) & 0xff}.${(i >>> 8) & 0xff}.${i & 0xff}/32`;
    _keepNetwork(text, _parseNetwork(text) as typeof first);
  }
  // Forgotten: parsed again (an equal network, a new object).
  const again = _parsedNetwork("172.16.0.1/32");
  assert.deepEqual(again, first);
  assert.notEqual(again, first);
  // The newest is still kept.
  const last = `11.0.255.255/32`;
  assert.equal(_parsedNetwork(last), _parsedNetwork(last));
});
