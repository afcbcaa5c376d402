import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import { _lower } from "./_lower.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import {
  _closureTree,
  _processTrees,
  _testTree,
  _TREE_LIMITS,
  type _TreeLimits,
  _TreeRegistry,
} from "./_execute_tree.ts";
import { compileFilter } from "../filter/mod.ts";
import type { Instruction } from "./instruction.ts";
import { _prng } from "../../tests/_fuzz.ts";
import { _packetsOf, _templateOf, _treeProgramOf } from "../../tests/_backend_fuzz.ts";
import { _stepTreeProgramOf } from "../../tests/_step_tree_fuzz.ts";

const filter = (expression: string) => compileFilter(expression, { linkType: 1 });
const lowered = (program: Instruction[]) => _removeKnownTests(_lower(program));

/** Whether `registry` admits `program`'s tree (`_testTree` gives no closure otherwise). */
function admitted(registry: _TreeRegistry, program: Instruction[]): boolean {
  assert.ok(_closureTree(lowered(program)) !== undefined, "not a tree");
  const general = () => {
    throw new Error("not needed");
  };
  return _testTree(lowered(program), general, _TREE_LIMITS, registry) !== undefined;
}

Deno.test("the tree registry admits the first tree's shape and refuses trees whose nodes would call other literals", () => {
  const registry = new _TreeRegistry();
  assert.equal(admitted(registry, filter("tcp port 80")), true);
  const size = registry.size;
  // The same shape with other constants: every site calls the literals it called.
  assert.equal(admitted(registry, filter("tcp port 443")), true);
  assert.equal(admitted(registry, filter("tcp port 80")), true);
  assert.equal(registry.size, size);
  // `udp`: its `[23] == 17` node returns where `tcp port 80`'s `[23] == 6` calls the next test.
  assert.equal(admitted(registry, filter("udp")), false);
  assert.equal(registry.size, size, "a refused tree leaves the registry as it was");
  registry.clear();
  assert.equal(registry.size, 0);
  assert.equal(admitted(registry, filter("udp")), true);
  assert.equal(admitted(registry, filter("tcp port 80")), false);
});

Deno.test("admitting a tree never adds a literal to a site an admitted tree calls from", () => {
  const random = _prng(0x5175);
  for (let round = 0; round < 20; round++) {
    const registry = new _TreeRegistry();
    // Each site's literals as the first admitted tree that calls from it recorded them.
    const first = new Map<string, ReadonlySet<string>>();
    let admittedTrees = 0;
    for (let n = 0; n < 40; n++) {
      const template = _templateOf(random);
      const program = random.chance(0.5)
        ? _treeProgramOf(random, template)
        : _stepTreeProgramOf(random, template);
      try {
        validate(program);
      } catch {
        continue;
      }
      const unbounded: _TreeLimits = { steps: Infinity, conflicts: Infinity };
      const tree = _closureTree(lowered(program), unbounded);
      if (tree === undefined) continue;
      const sites = [...tree.sites.entries()];
      const fits = sites.every(([site, callees]) =>
        !first.has(site) || [...callees].every((callee) => first.get(site)!.has(callee))
      );
      const before = registry.size;
      assert.equal(registry.admit(tree.sites), fits, JSON.stringify(program));
      if (!fits) {
        assert.equal(registry.size, before);
        continue;
      }
      admittedTrees++;
      for (const [site, callees] of sites) if (!first.has(site)) first.set(site, callees);
      assert.equal(registry.size, first.size);
    }
    assert.ok(admittedTrees >= 1);
  }
});

Deno.test("compileClosure runs one tree shape per process; the programs it refuses as trees agree with interpret() through the dispatch loop", () => {
  _processTrees.clear();
  const random = _prng(0x17);
  const expressions = ["udp", "tcp port 80", "udp port 53", "vlan and ip", "ip6 and tcp", "udp"];
  const grew: boolean[] = [];
  for (const expression of expressions) {
    const program = filter(expression);
    assert.ok(_closureTree(lowered(program)) !== undefined, `${expression}: not a tree`);
    const before = _processTrees.size;
    const run = compileClosure(program);
    grew.push(_processTrees.size > before);
    const template = _templateOf(random);
    for (const packet of _packetsOf(random, template, program)) {
      assert.equal(run(packet), interpret(program, packet), `${expression} [${packet}]`);
      const context = { dataOffset: 2, wireLength: packet.length + 3 };
      assert.equal(run(packet, context), interpret(program, packet, context), expression);
    }
  }
  // `udp` is the first tree; the next four have nodes that call other literals than udp's
  // (refused); `udp` again calls from no new site.
  assert.deepEqual(grew, [true, false, false, false, false, false]);
  assert.equal(admitted(_processTrees, filter("udp")), true);
  assert.equal(admitted(_processTrees, filter("tcp port 80")), false);
  _processTrees.clear();
});
