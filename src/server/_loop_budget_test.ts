import assert from "node:assert/strict";
import { _LoopBudget } from "./_loop_budget.ts";

/** A clock that only moves when the work says so. */
function _clock() {
  let ms = 0;
  return { now: () => ms, advance: (by: number) => ms += by };
}

Deno.test("_LoopBudget runs one work at a time, in arrival order", async () => {
  const clock = _clock();
  const budget = new _LoopBudget({ sliceMs: 4, now: clock.now });
  const log: string[] = [];
  let running = 0;
  await Promise.all(Array.from({ length: 6 }, (_, i) =>
    budget.run(1, async () => {
      running++;
      assert.equal(running, 1, "two works held the budget at once");
      log.push(`start ${i}`);
      clock.advance(3);
      await Promise.resolve();
      log.push(`end ${i}`);
      running--;
    })));
  assert.deepEqual(log, Array.from({ length: 6 }, (_, i) => [`start ${i}`, `end ${i}`]).flat());
});

Deno.test("_LoopBudget yields to the event loop when a slice is spent", async () => {
  const clock = _clock();
  const budget = new _LoopBudget({ sliceMs: 4, now: clock.now });
  // Each work takes 3 ms of the fake clock: two fit in a slice (the second
  // starts at 3 < 4), so 10 works take 5 slices, each after a macrotask.
  const events: string[] = [];
  let timers = 0;
  const tick = () => {
    events.push("timer");
    if (++timers < 100) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  await Promise.all(Array.from({ length: 10 }, (_, i) =>
    budget.run(1, () => {
      events.push(`work ${i}`);
      clock.advance(3);
    })));
  timers = 100; // stop the timer chain
  assert.equal(budget.slices, 5);
  // Other works were waiting at each yield: every yield was a timer (so I/O is polled).
  assert.equal(budget.timerYields, 4);
  // Macrotasks ran between the slices: a timer fired before the last work.
  assert.ok(events.indexOf("timer") < events.indexOf("work 9"), events.join(", "));
  await new Promise((resolve) => setTimeout(resolve, 0));
});

Deno.test("_LoopBudget yields without a timer when one work runs alone", async () => {
  const clock = _clock();
  const budget = new _LoopBudget({ sliceMs: 4, now: clock.now });
  for (let i = 0; i < 10; i++) await budget.run(1, () => void clock.advance(3));
  assert.equal(budget.slices, 5);
  assert.equal(budget.timerYields, 0);
});

Deno.test("_LoopBudget counts units where the clock stands still (Workers)", async () => {
  const budget = new _LoopBudget({ sliceUnits: 100, now: () => 0 });
  await Promise.all(Array.from({ length: 10 }, () => budget.run(50, () => {})));
  assert.equal(budget.slices, 5);
});

Deno.test("_LoopBudget gives the token back when a work throws", async () => {
  const budget = new _LoopBudget();
  await assert.rejects(budget.run(1, () => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await budget.run(1, () => 42), 42);
});

Deno.test("_LoopBudget paces holders to contendedUnitsPerMs while several run, and a lone holder not at all", async () => {
  const clock = _clock();
  const pauses: number[] = [];
  const setTimer = (callback: () => void, ms: number) => {
    pauses.push(ms);
    clock.advance(ms); // the pause passes on the fake clock
    setTimeout(callback, 0);
  };
  // 1,000 units per ms; each work takes 1 ms for 4,000 units: a slice of
  // sliceUnits 8,000 (2 works, 2 ms) owes 8 ms, so it pauses 6 ms.
  const budget = new _LoopBudget({
    sliceMs: 100,
    sliceUnits: 8000,
    contendedUnitsPerMs: 1000,
    now: clock.now,
    setTimer,
  });
  const started = clock.now();
  await Promise.all(Array.from({ length: 10 }, () =>
    budget.run(4000, () => {
      clock.advance(1);
    })));
  // 40,000 units at 1,000 per ms: at least 40 ms minus the last slice's pause, never faster.
  assert.ok(clock.now() - started >= 40 - 8, `${clock.now() - started} ms for 40,000 units`);
  assert.ok(pauses.some((ms) => ms > 0), "no pause was asked");
  assert.equal(budget.pausedMs, pauses.reduce((a, b) => a + b, 0));
  for (const ms of pauses.filter((ms) => ms > 0)) assert.equal(ms, 6);

  const alone = new _LoopBudget({
    sliceMs: 100,
    sliceUnits: 8000,
    contendedUnitsPerMs: 1000,
    now: clock.now,
    setTimer,
  });
  pauses.length = 0;
  for (let i = 0; i < 10; i++) await alone.run(4000, () => void clock.advance(1));
  assert.deepEqual(pauses, [], "a lone holder was paced");

  // One holder at a time, but `shared` says other streams are running: paced.
  const sharing = new _LoopBudget({
    sliceMs: 100,
    sliceUnits: 8000,
    contendedUnitsPerMs: 1000,
    now: clock.now,
    setTimer,
    shared: () => true,
  });
  for (let i = 0; i < 10; i++) await sharing.run(4000, () => void clock.advance(1));
  assert.ok(pauses.length > 0 && pauses.every((ms) => ms === 6), `pauses ${pauses}`);
});

Deno.test("_LoopBudget while pacing ends a slice at the units the rate allows in sliceMs", async () => {
  const clock = _clock();
  const budget = new _LoopBudget({
    sliceMs: 4,
    contendedUnitsPerMs: 1000, // 4,000 units per 4 ms slice, far under sliceUnits (1 MiB)
    now: clock.now,
    setTimer: (callback) => setTimeout(callback, 0),
    shared: () => true,
  });
  for (let i = 0; i < 40; i++) await budget.run(1000, () => {});
  assert.equal(budget.slices, 10);
});
