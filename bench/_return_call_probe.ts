/**
 * Probe (session 19, issue 12): the cost of `ret #k` programs' closures called
 * from one helper shared by many functions (a megamorphic call), by the form
 * of the closure. Prints ns per call for each form, interleaved slices.
 *
 *     deno run -A bench/_return_call_probe.ts [--rounds 7]
 */
const N = 4096;
const packets = Array.from({ length: N }, (_, i) => new Uint8Array(60 + (i % 7)));
const helper = new Function(
  "packets",
  "N",
  "return (run) => { let s = 0; for (let i = 0; i < N; i++) s += run(packets[i]); return s; };",
)(packets, N) as (run: (P: Uint8Array) => number) => number;

function noFormal(k: number) {
  return function run(): number {
    return k;
  };
}
function oneFormal(k: number) {
  return function run(_P: Uint8Array): number {
    return k;
  };
}
function arrow(k: number) {
  return (_P: Uint8Array): number => k;
}
function withArguments(k: number) {
  return function run(_P: Uint8Array): number {
    return arguments.length > 1 ? k + 0 : k;
  };
}
const forms: [string, (k: number) => (P: Uint8Array) => number][] = [
  ["function run() (no formal)", noFormal],
  ["function run(P)", oneFormal],
  ["arrow (P) => k", arrow],
  ["function run(P) reading arguments.length", withArguments],
];
// Many functions through the helper first, so that its call is megamorphic.
const fns = forms.map(([name, make]) => ({ name, f: make(1), g: make(0xffffffff) }));
const others = Array.from({ length: 20 }, (_, i) => new Function("P", `return P.length + ${i};`));
for (let r = 0; r < 50; r++) {
  for (const o of others) helper(o as (P: Uint8Array) => number);
  for (const { f, g } of fns) helper(f), helper(g);
}
const rounds = Number(Deno.args[1] ?? 7);
const times = fns.map(() => [] as number[]);
for (let r = 0; r < rounds; r++) {
  fns.forEach(({ f }, i) => {
    const t0 = performance.now();
    let reps = 0;
    while (performance.now() - t0 < 30) helper(f), reps++;
    times[i].push(((performance.now() - t0) * 1e6) / (reps * N));
  });
}
const median = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1];
fns.forEach(({ name }, i) => console.log(`${median(times[i]).toFixed(2)} ns  ${name}`));
