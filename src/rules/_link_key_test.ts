import assert from "node:assert/strict";
import { _linkKey } from "./_match_tests.ts";
import { compileFilter } from "../filter/compile_filter.ts";
import { filterOptionsForInterface } from "../filter/filter_options_for_interface.ts";

/** The program `tcpdump -r` compiles for `expression` on an interface (`null`: none). */
function _programFor(
  expression: string,
  captureInterface: { linkType: number; snaplen: number; littleEndian: boolean },
): string | null {
  try {
    // The accept value aside (the interface's snaplen), which only a match's value reads.
    const options = { ...filterOptionsForInterface(captureInterface), snaplen: 262144 };
    return JSON.stringify(compileFilter(expression, options));
  } catch {
    return null;
  }
}

Deno.test("interfaces that share a link-base program key get the same program, and the keys are few", () => {
  const expressions = ["ip6", "tcp dst port 80", "len > 100", "ether[0] = 1"];
  const programs = new Map<string | number, (string | null)[]>();
  for (let linkType = 0; linkType < 65536; linkType++) {
    for (const littleEndian of [true, false]) {
      const captureInterface = { linkType, snaplen: linkType % 3 === 0 ? 0 : 1500, littleEndian };
      const key = _linkKey(linkType, captureInterface);
      const seen = programs.get(key);
      const made = expressions.map((e) => _programFor(e, captureInterface));
      if (seen === undefined) programs.set(key, made);
      else assert.deepEqual(made, seen, `link type ${linkType}, little-endian ${littleEndian}`);
    }
  }
  // 10 link types the compiler knows, BSD loopback's two (NULL, LOOP) per byte order, one for
  // those without a link-layer description (link-header-free programs), one for the rest.
  assert.equal(programs.size, 14);
});
