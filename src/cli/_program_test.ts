import assert from "node:assert/strict";
import { _loadProgram } from "./_program.ts";
import { _parseOptions } from "../args/_args.ts";
import { _testIo } from "./_test_io.ts";
import { compileFilter } from "../filter/compile_filter.ts";
import {
  type FilterInterface,
  filterOptionsForInterface,
} from "../filter/filter_options_for_interface.ts";
import { DataError } from "./data_error.ts";

/** `--expr EXPRESSION` on `base`, loaded as `filter` loads it. */
function _expr(expression: string, base: "link" | "network") {
  const parsed = _parseOptions("filter", ["--expr", expression], { expr: { type: "string" } });
  return _loadProgram(parsed, "filter", _testIo().io, base, ["bytecode", "expr"]);
}

// The check of a link-base --expr compiles it for the usual capture header (snaplen 262144,
// little-endian); every other header must get the program compiled for its own interface, as
// `tcpdump -r` compiles it (the oracle: compileFilter with that interface's options).
Deno.test("_loadProgram() compiles a link-base --expr for each capture header, not the usual one", async () => {
  const interfaces: FilterInterface[] = [
    { linkType: 1, snaplen: 262144, littleEndian: true },
    { linkType: 1, snaplen: 65535, littleEndian: false },
    { linkType: 0, snaplen: 262144, littleEndian: false }, // BSD loopback: byte order matters
    { linkType: 0, snaplen: 96, littleEndian: true },
    { linkType: 108, snaplen: 0, littleEndian: false },
    { linkType: 101, snaplen: 1500, littleEndian: true },
    { linkType: 113, snaplen: 65535, littleEndian: true },
    { linkType: 276, snaplen: 262144, littleEndian: false },
  ];
  for (const expression of ["ip6", "tcp port 80 or icmp", "ether[0] & 1 = 0"]) {
    const source = await _expr(expression, "link");
    for (const captureInterface of interfaces) {
      const options = filterOptionsForInterface(captureInterface);
      let expected: unknown;
      try {
        expected = compileFilter(expression, options);
      } catch (error) {
        expected = error;
      }
      const what = `${expression} on ${JSON.stringify(captureInterface)}`;
      if (expected instanceof Error) {
        assert.throws(() => source.forInterface(captureInterface), DataError, what);
      } else {
        assert.deepEqual(source.forInterface(captureInterface), expected, what);
      }
    }
  }
  // The two byte orders of BSD loopback differ (so a program shared between them would be wrong).
  const source = await _expr("ip6", "link");
  assert.notDeepEqual(
    source.forInterface({ linkType: 0, snaplen: 262144, littleEndian: true }),
    source.forInterface({ linkType: 0, snaplen: 262144, littleEndian: false }),
  );
});

Deno.test("_loadProgram() reports a bad --expr at once with its column and link type", async () => {
  await assert.rejects(
    _expr("tcp port", "link"),
    (error: Error) =>
      error instanceof DataError && /column 9/.test(error.message) &&
      /for link type 1 \(EN10MB\)/.test(error.message),
  );
  await assert.rejects(
    _expr("ip and", "network"),
    (error: Error) => error instanceof DataError && /column 7/.test(error.message),
  );
});
