/**
 * compileFilter() errors: the reasons tcpdump users know, with the column.
 */
import assert from "node:assert/strict";
import { compileFilter, FilterSyntaxError } from "../src/filter/mod.ts";

function error(expression: string, linkType = 1): FilterSyntaxError {
  try {
    compileFilter(expression, { linkType });
  } catch (e) {
    assert.ok(e instanceof FilterSyntaxError, `${expression}: ${e}`);
    assert.ok(e instanceof SyntaxError);
    return e;
  }
  throw new assert.AssertionError({ message: `${JSON.stringify(expression)} was accepted` });
}

const CASES: [string, number, string, number][] = [
  // expression, link type, reason (substring), column
  ["tcp port", 1, "syntax error", 9],
  ["ip[0] = ", 1, "syntax error", 9],
  ["tcp and (udp", 1, "syntax error", 13],
  ["  tcp  )", 1, "syntax error", 8],
  ["tcp or or udp", 1, "syntax error", 8],
  ["1.1.1.1", 1, "syntax error", 1],
  ["tcp or 80", 1, "syntax error in filter expression", 8],
  ["host foo", 1, "unknown host 'foo'", 6],
  ["ether host foo", 1, "unknown ether host 'foo'", 12],
  ["net foo", 1, "unknown network 'foo'", 5],
  ["port foo", 1, "unknown port 'foo'", 6],
  ["udp port 70000", 1, "illegal port number 70000 > 65535", 10],
  ["ip port 80", 1, "illegal qualifier of 'port'", 9],
  ["tcp host 1.1.1.1", 1, "'tcp' modifier applied to host", 10],
  ["ip host ::1", 1, "'ip' modifier applied to ip6 host", 9],
  ["ip[1:3]=1", 1, "data size must be 1, 2, or 4", 1],
  ["ip[0]/0=1", 1, "division by zero", 6],
  ["ip[0] % 0 = 1", 1, "modulus by zero", 7],
  ["ip[0] << 32 = 1", 1, "shift by more than 31 bits", 7],
  ["net 10.1.2.3/8", 1, `non-network bits set in "10.1.2.3/8"`, 5],
  ["dst 10.0.0.0/8", 1, "Mask syntax for networks only", 5],
  ["ether src 1.1.1.1", 1, "illegal link layer address", 11],
  ["host 1:2:3:4:5:6", 1, "ethernet address used in non-ether expression", 6],
  ["gateway 1.2.3.4", 1, "'gateway' requires a name", 9],
  ["arp proto 1", 1, "arp does not encapsulate another protocol", 11],
  ["src proto 6", 1, "syntax error", 5],
  ["ether host 1:2:3:4:5:6", 0, "ethernet addresses supported only on ethernet", 12],
  ["vlan", 113, "no VLAN support for Linux cooked v1", 1],
  ["mpls", 12, "no MPLS support for Raw IP", 1],
  ["llc", 276, "'llc' not supported for Linux cooked v2", 1],
  ["vlan 5000", 1, "VLAN tag 5000 greater than maximum 4095", 1],
  ["a$b", 1, "illegal character '$'", 2],
  ["len-4 > 5", 1, "syntax error", 1],
];

for (const [expression, linkType, reason, column] of CASES) {
  Deno.test(`compileFilter() rejects ${JSON.stringify(expression)} (link type ${linkType})`, () => {
    const e = error(expression, linkType);
    assert.ok(e.reason.includes(reason), `reason ${JSON.stringify(e.reason)}`);
    assert.equal(e.column, column);
    assert.equal(e.line, 1);
    assert.match(e.message, /^Cannot compile filter: .* at column \d+$/);
    assert.equal(e.name, "FilterSyntaxError");
  });
}

Deno.test("compileFilter() turns hostile nesting into an error, not a stack overflow", () => {
  for (
    const expression of [
      "(".repeat(20000) + "tcp" + ")".repeat(20000),
      "not ".repeat(20000) + "tcp",
      "ip[".repeat(5000) + "0" + "]".repeat(5000) + " = 1",
      "-".repeat(20000) + "1 = 1",
    ]
  ) {
    const e = error(expression);
    assert.match(e.reason, /nested too deeply/);
  }
});

Deno.test("compileFilter() rejects unsupported link types with a RangeError", () => {
  assert.throws(() => compileFilter("tcp", { linkType: 105 }), RangeError);
});

Deno.test("compileFilter() refuses programs longer than the kernel's limit", () => {
  const expression = Array.from({ length: 450 }, (_, i) => `host 10.0.${i >> 8}.${i & 255}`)
    .join(" or ");
  assert.throws(() => compileFilter(expression), /more than the kernel's 4096/);
});
