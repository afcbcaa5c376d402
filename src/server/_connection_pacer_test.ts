import assert from "node:assert/strict";
import { _createConnectionPacer, type _PausableSocket } from "./_connection_pacer.ts";

/** A socket that logs its pauses and resumes into `log`. */
function _socket(id: number, log: string[]): _PausableSocket & { destroyed: boolean } {
  return {
    destroyed: false,
    pause: () => log.push(`pause ${id}`),
    resume: () => log.push(`resume ${id}`),
    destroy: () => log.push(`destroy ${id}`),
  };
}

const _macrotask = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("_createConnectionPacer() lets a few connections a turn pass and resumes the rest a batch per macrotask, in order", async () => {
  const log: string[] = [];
  const pace = _createConnectionPacer(3);
  for (let id = 0; id < 8; id++) pace(_socket(id, log));
  assert.deepEqual(log, ["pause 3", "pause 4", "pause 5", "pause 6", "pause 7"]);
  log.length = 0;
  await _macrotask();
  assert.deepEqual(log, ["resume 3", "resume 4", "resume 5"]);
  log.length = 0;
  // A connection arriving while others wait queues behind them.
  pace(_socket(8, log));
  assert.deepEqual(log, ["pause 8"]);
  log.length = 0;
  await _macrotask();
  assert.deepEqual(log, ["resume 6", "resume 7", "resume 8"]);
  log.length = 0;
  await _macrotask();
  await _macrotask();
  // The queue is empty: the next turn lets connections pass again.
  for (let id = 9; id < 12; id++) pace(_socket(id, log));
  assert.deepEqual(log, []);
  await _macrotask();
});

Deno.test("_createConnectionPacer() skips connections closed while they waited", async () => {
  const log: string[] = [];
  const pace = _createConnectionPacer(1);
  const sockets = [0, 1, 2, 3].map((id) => _socket(id, log));
  for (const socket of sockets) pace(socket);
  sockets[1].destroyed = true;
  log.length = 0;
  await _macrotask();
  assert.deepEqual(log, ["resume 2"]);
  await _macrotask();
  assert.deepEqual(log, ["resume 2", "resume 3"]);
  await _macrotask();
});

Deno.test("_createConnectionPacer() closes connections beyond its bound of waiting ones", async () => {
  const log: string[] = [];
  const pace = _createConnectionPacer(1, 2);
  for (let id = 0; id < 5; id++) pace(_socket(id, log));
  // One passes, two wait, the rest are closed at once.
  assert.deepEqual(log, ["pause 1", "pause 2", "destroy 3", "destroy 4"]);
  log.length = 0;
  await _macrotask();
  assert.deepEqual(log, ["resume 1"]);
  // A slot is free again.
  pace(_socket(5, log));
  assert.deepEqual(log, ["resume 1", "pause 5"]);
  await _macrotask();
  await _macrotask();
  assert.deepEqual(log, ["resume 1", "pause 5", "resume 2", "resume 5"]);
  await _macrotask();
});
