import assert from "node:assert/strict";
import { parse } from "acorn";
import { _chunkCycles, _eagerFunctions } from "./_eager_functions.ts";

/** The exports of an ES module given as text. */
async function _evaluate(source: string): Promise<Record<string, unknown>> {
  const url = `data:text/javascript;base64,${btoa(source)}`;
  return { ...(await import(url)) };
}

const _MODULE = `// a banner
let calls = 0;
const early = twice(2);
function twice(n) {
  calls++;
  return \`\${n}}\` === "2}" ? n * 2 : -1;
}
async function later(a, b = 1) {
  return a + b + calls;
}
function* counting() {
  yield early;
}
function self() {
  return self;
}
const first = self;
self = 1;
export const selfAfter = first();
export const named = [twice.name, twice.length, later.name, later.length];
export { early, later, counting, twice };
`;

Deno.test("_eagerFunctions() keeps what a module does, functions used before their place included", async () => {
  const before = await _evaluate(_MODULE);
  const after = await _evaluate(_eagerFunctions(_MODULE));
  assert.equal(after.early, 4);
  assert.deepEqual(after.named, before.named);
  // A body reads the module's binding of its name, as a declaration's does.
  assert.equal(before.selfAfter, 1);
  assert.equal(after.selfAfter, 1);
  assert.equal(await (after.later as (a: number) => Promise<number>)(1), 3);
  assert.deepEqual([...(after.counting as () => Iterable<number>)()], [4]);
});

Deno.test("_eagerFunctions() turns every top-level function into a parenthesised expression", () => {
  const out = _eagerFunctions(_MODULE);
  const body = (parse(out, { ecmaVersion: "latest", sourceType: "module" }) as unknown as {
    body: { type: string; start: number; end: number }[];
  }).body;
  assert.equal(body.filter((node) => node.type === "FunctionDeclaration").length, 0);
  const eager = body.filter((node) =>
    /^var \w+ = \((async )?function\*? \(/.test(out.slice(node.start, node.end))
  );
  assert.equal(eager.length, 4);
  // Placed before the first statement, in their order; the banner stays first.
  assert.ok(out.startsWith("// a banner\nvar twice = (function (n) {"));
  assert.ok(out.indexOf("var counting") < out.indexOf("let calls"));
});

Deno.test("_eagerFunctions() leaves a module as it is when no function was called", () => {
  const source = 'import { a } from "./a.js";\nexport const b = () => a;\nfunction c() {}\n';
  assert.equal(_eagerFunctions(source, new Set()), source);
});

const _ARROWS = `const add = (a) => (b = ((c) => c)(1)) => a + b;
const pair = ({ x }, y,) => ({ x, y });
const late = async () => 7;
const spaced = (v) =>
  v * 2;
const named = [add.name, pair.name, late.name, pair.length];
const counter = {
  n: 1,
  get twice() { return this.n * 2; },
  bump() { return [1].map(() => ++this.n)[0]; },
  async *pairs() { yield [this.n, arguments.length]; },
  base() { return super.toString === Object.prototype.toString; },
  each: function (list) { return list.map((v) => v + this.n); },
};
class Box {
  #v = 3;
  get() { return [0].map(() => this.#v)[0]; }
  static of() { return new Box(); }
}
function total(...values) {
  return values.reduce((sum, v) => sum + v, 0) + [arguments.length].map((n) => n)[0];
}
export const results = [
  add(1)(), add(1)(10), pair({ x: 1 }, 2), await late(), spaced(4), named,
  counter.twice, counter.bump(), counter.each([1, 2]), Box.of().get(), total(1, 2, 3),
  (await counter.pairs(5).next()).value, counter.base(), counter.bump.name,
];
`;

Deno.test("_eagerFunctions() rewrites arrows and function expressions without changing what they do", async () => {
  const before = await _evaluate(_ARROWS);
  const rewritten = _eagerFunctions(_ARROWS);
  const after = await _evaluate(rewritten);
  assert.deepEqual(after.results, before.results);
  assert.deepEqual(before.results, [
    2,
    11,
    { x: 1, y: 2 },
    7,
    8,
    ["add", "pair", "late", 2],
    2,
    2,
    [3, 4],
    3,
    9,
    [2, 1],
    true,
    "bump",
  ]);
  // Every arrow became a parenthesised function but those that read `this`
  // (the methods' callbacks); methods stay methods.
  const arrows: string[] = [];
  const visit = (node: { type?: string; start?: number; end?: number }) => {
    if (node.type === "ArrowFunctionExpression") arrows.push(rewritten.slice(node.start, node.end));
    for (const value of Object.values(node)) {
      for (const child of Array.isArray(value) ? value : [value]) {
        if (child && typeof child === "object" && "type" in child) visit(child);
      }
    }
  };
  visit(parse(rewritten, { ecmaVersion: "latest", sourceType: "module" }) as never);
  assert.deepEqual(arrows, ["() => ++this.n", "(v) => v + this.n", "() => this.#v"]);
  assert.ok(rewritten.includes("const spaced = (function (v) { return (\n  v * 2); });"));
  assert.match(rewritten, /each: \(function \(list\)/);
  // Object methods became properties holding function expressions, but the
  // one that uses `super`.
  assert.ok(rewritten.includes("\n  bump: (function () {"));
  assert.ok(rewritten.includes("\n  pairs: (async function* () {"));
  assert.ok(rewritten.includes("\n  base() {"));
  assert.ok(rewritten.includes("\n  get twice() {"));
});

const _EDGES = `const proto = { __proto__() { return 1; }, "__proto__"() { return 2; } };
export const protoKept = [
  Object.getPrototypeOf(proto) === Object.prototype,
  typeof proto.__proto__,
  Object.keys(proto).length,
];
export const viaEval = function () {
  return [(() => eval("this"))(), (() => eval("arguments.length"))()];
}.call(5, "a", "b");
const commented = (a /* => */) => a + 1;
const bare = () /* => */ => 1;
export const arrows = [commented(1), bare()];
let value = 3
x => x
export const noSemicolons = value;
`;

Deno.test("_eagerFunctions() keeps __proto__ methods, arrows that may eval, '=>' in comments, and a statement-leading arrow", async () => {
  const rewritten = _eagerFunctions(_EDGES);
  const before = await _evaluate(_EDGES);
  assert.deepEqual(before, {
    protoKept: [true, "function", 1],
    viaEval: [5, 2],
    arrows: [2, 1],
    noSemicolons: 3,
  });
  assert.deepEqual(await _evaluate(rewritten), before);
  // The arrows without eval or a statement of their own were still rewritten.
  assert.ok(rewritten.includes("const bare = (function () "), rewritten);
  assert.ok(rewritten.includes("const commented = (function (a"), rewritten);
});

Deno.test("_chunkCycles() finds a cycle through static or dynamic imports, and none in the CLI bundle", async () => {
  const files = new Map([
    ["a.js", 'import { b } from "./b.js";\n'],
    ["b.js", 'const c = () => import("./c.js");\n'],
    ["c.js", 'import "./a.js";\nimport "node:util";\n'],
    ["d.js", 'import "./a.js";\n'],
  ]);
  assert.deepEqual(_chunkCycles(files).map((cycle) => [...cycle].sort()), [[
    "a.js",
    "b.js",
    "c.js",
  ]]);
  const dist = new URL("../src/cli/dist/", import.meta.url);
  const bundle = new Map<string, string>();
  for await (const entry of Deno.readDir(dist)) {
    bundle.set(entry.name, await Deno.readTextFile(new URL(entry.name, dist)));
  }
  assert.ok(bundle.size > 1);
  assert.deepEqual(_chunkCycles(bundle), []);
});

const _CLASSES = `class Base { hello() { return "base"; } }
export class Counter extends Base {
  #n = 0;
  static #secret = 5;
  static made = Counter.make(2);
  constructor(n) { super(); this.#n = n; }
  static make(n) { return new Counter(n).#n + Counter.#secret; }
  bump(by = 1, ...more) { this.#n += by + more.length + arguments.length; return this.#twice(); }
  #twice() { return this.#n * 2; }
  #sum(a, b) { return a + b + this.#counted(1, 2); }
  #counted() { return arguments.length; }
  #spread(...all) { return all.length; }
  #pick({ a }, b = 2, ...rest) { return a + b + rest.length + arguments.length; }
  *#walk(n) { yield n; yield this.#n; }
  async #wait(n) { return n + this.#n; }
  total() { return this.#sum(this.#n, 1) + this.#spread(1, 2, 3) + this.#pick({ a: 1 }); }
  async extra() { return [[...this.#walk(5)], await this.#wait(1), this.#pick({ a: 1 }, 3, 4, 5)]; }
  get value() { return this.#n; }
  set value(v) { this.#n = v; }
  hello() { return "counter+" + super.hello(); }
  async later() { return this.#n; }
  *steps() { yield this.#n; yield this.#n + 1; }
  "quoted name"() { return [1, 2].map((v) => v + this.#n); }
  [Symbol.iterator]() { return this.steps(); }
}
const Twice = class { a() { return 1; } a() { return 2; } };
const inner = () => class { #p() { return 1; } m() { return new.target === undefined && this.#p() === 1; } };
export const results = async () => {
  const c = new Counter(1);
  const described = (o, k) => {
    const d = Object.getOwnPropertyDescriptor(o, k);
    const f = d.value ?? d.get;
    return [d.enumerable, d.writable, d.configurable, f.name, f.length];
  };
  return [
    Counter.made, c.bump(), c.bump(2, 3, 4), c.value, await c.later(), [...c.steps()], [...c],
    c["quoted name"](), c.hello(), new Twice().a(), new (inner())().m(), c.total(),
    await c.extra(),
    (() => { try { return Counter.prototype.total.call({}); } catch (e) { return e.name; } })(),
    Object.keys(Counter.prototype), Object.getOwnPropertyNames(Counter.prototype).sort(),
    Object.getOwnPropertyNames(Counter).sort(),
    ...["bump", "later", "steps", "value", "hello", "quoted name"].map((k) =>
      described(Counter.prototype, k)
    ),
    described(Counter, "make"),
  ];
};
`;

Deno.test("_eagerFunctions() defines class methods from a first static block, keeping what they are", async () => {
  const before = await _evaluate(_CLASSES);
  const rewritten = _eagerFunctions(_CLASSES);
  const after = await _evaluate(rewritten);
  const expected = await (before.results as () => Promise<unknown>)();
  assert.deepEqual(await (after.results as () => Promise<unknown>)(), expected);
  assert.deepEqual((expected as unknown[]).slice(0, 14), [
    7,
    4,
    18,
    9,
    9,
    [9, 10],
    [9, 10],
    [10, 11],
    "counter+base",
    2,
    true,
    19,
    [[5, 9], 10, 10],
    "TypeError",
  ]);
  // Moved: the plain methods, static ones too, and the methods of classes
  // nested in functions; kept in place: the getter and setter, the private,
  // computed-name and super-using methods, the constructor, and both methods
  // of a class that names one twice.
  assert.match(rewritten, /export class Counter extends Base \{ static \{ /);
  for (const name of ["make", "bump", "later", "steps", "quoted name"]) {
    assert.ok(rewritten.includes(`Object.defineProperty(this`), name);
    assert.ok(rewritten.includes(`${JSON.stringify(name)}, { value: {`), name);
  }
  assert.ok(rewritten.includes(`Object.defineProperty(this, "make"`));
  assert.ok(rewritten.includes(`"steps": (function* () {`));
  assert.ok(rewritten.includes(`"later": (async function () {`));
  for (
    const kept of [
      "#twice() {",
      "get value() {",
      "set value(v) {",
      'hello() { return "counter+"',
      "[Symbol.iterator]() {",
      "a() { return 1; } a() { return 2; }",
      "constructor(n) {",
    ]
  ) {
    assert.ok(rewritten.includes(kept), kept);
  }
  assert.ok(rewritten.includes(`class { static { Object.defineProperty(this.prototype, "m"`));
  // The private methods of a top-level class with plain parameters and no
  // `arguments` call their body, compiled with the module, through a
  // module-level variable; the others stay as they are.
  assert.ok(rewritten.includes("#twice() { return $eager$0.call(this); }"), rewritten);
  assert.ok(rewritten.includes("#sum(a, b) { return $eager$1.call(this, a, b); }"));
  assert.ok(
    rewritten.includes("$eager$1 = (function (a, b) { return a + b + this.#counted(1, 2); });"),
  );
  assert.ok(rewritten.includes("#counted() { return $eager$2.apply(this, arguments); }"));
  assert.ok(rewritten.includes("#spread() { return $eager$3.apply(this, arguments); }"));
  assert.ok(rewritten.includes("#pick($0) { return $eager$4.apply(this, arguments); }"));
  assert.ok(rewritten.includes("  #walk(n) { return $eager$5.call(this, n); }"));
  assert.ok(rewritten.includes("$eager$5 = (function* (n) {"));
  assert.ok(rewritten.includes("  #wait(n) { return $eager$6.call(this, n); }"));
  assert.ok(rewritten.includes("$eager$6 = (async function (n) {"));
  assert.ok(rewritten.includes("#p() { return 1; }"));
  assert.ok(
    rewritten.endsWith(
      "\nvar $eager$0, $eager$1, $eager$2, $eager$3, $eager$4, $eager$5, $eager$6;\n",
    ),
  );
});

Deno.test("_eagerFunctions() moves only the class methods that were called", () => {
  const source = "export class A {\n  m() { return 1; }\n  n() { return 2; }\n}\n";
  const n = source.indexOf("n()");
  const out = _eagerFunctions(source, new Set([n]));
  assert.equal(
    out,
    'export class A { static { Object.defineProperty(this.prototype, "n", { value: { "n": (function () { return 2; }) }["n"], writable: true, configurable: true }); } \n  m() { return 1; }\n  \n}\n',
  );
});
