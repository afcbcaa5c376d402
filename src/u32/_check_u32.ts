import { type U32Test, XT_U32_MAXSIZE } from "./types.ts";

function _isUint32(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

/**
 * Checks tests built by hand (not by `parseU32`) against the limits the
 * kernel's `u32_mt_checkentry` and the `struct xt_u32` layout impose.
 *
 * @throws {RangeError} `Cannot <action>: ...` naming the test (0-based).
 */
export function _checkU32Tests(tests: readonly U32Test[], action: string): void {
  const fail = (message: string): never => {
    throw new RangeError(`Cannot ${action}: ${message}`);
  };
  if (!Array.isArray(tests) || tests.length === 0) fail("no tests given");
  if (tests.length > XT_U32_MAXSIZE) {
    fail(`${tests.length} tests given (at most ${XT_U32_MAXSIZE})`);
  }
  tests.forEach((test, t) => {
    if (!_isUint32(test?.offset)) fail(`test ${t} has offset ${test?.offset} (not a uint32)`);
    if (!Array.isArray(test.operations) || test.operations.length >= XT_U32_MAXSIZE) {
      fail(`test ${t} has ${test.operations?.length} operations (at most ${XT_U32_MAXSIZE - 1})`);
    }
    test.operations.forEach((op, o) => {
      if (!_isUint32(op?.number)) {
        fail(`test ${t} operation ${o} has number ${op?.number} (not a uint32)`);
      }
      switch (op.operator) {
        case "<<":
        case ">>":
          if (op.number >= 32) {
            fail(`test ${t} operation ${o} shifts by ${op.number} (0..31)`);
          }
          break;
        case "&":
        case "@":
          break;
        default:
          fail(`test ${t} operation ${o} has unknown operator ${JSON.stringify(op.operator)}`);
      }
    });
    if (
      !Array.isArray(test.ranges) || test.ranges.length === 0 ||
      test.ranges.length > XT_U32_MAXSIZE
    ) {
      fail(`test ${t} has ${test.ranges?.length} ranges (1 to ${XT_U32_MAXSIZE})`);
    }
    test.ranges.forEach((range, r) => {
      if (!_isUint32(range?.min) || !_isUint32(range?.max)) {
        fail(`test ${t} range ${r} is ${range?.min}:${range?.max} (not uint32)`);
      }
    });
  });
}
