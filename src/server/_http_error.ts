/**
 * Errors of the HTTP service: a status, a stable `code` and the place.
 *
 * @module
 */
import { BpfSyntaxError, BpfValidationError } from "../bpf/errors.ts";
import { CaptureFormatError } from "../capture/capture_format_error.ts";
import type { RuleSetError } from "../rules/rule_set_error.ts";
import { _StreamIdleError } from "./_stream_idle_error.ts";

/** The JSON body of every error response. */
export interface _ErrorBody {
  /** Human-readable message (`Cannot <action>: <reason>`). */
  error: string;
  /** Stable machine-readable code. */
  code: string;
  [detail: string]: unknown;
}

/** An error that becomes an HTTP response. */
export class _HttpError extends Error {
  readonly status: number;
  readonly body: _ErrorBody;
  readonly headers: Record<string, string> | undefined;
  constructor(
    status: number,
    code: string,
    message: string,
    details?: Record<string, unknown>,
    headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.body = { error: message, code, ...details };
    this.headers = headers;
  }
}

/**
 * The 400 error for a rule set that cannot be parsed or compiled: the line
 * and column (text) or chain and rule (JSON model), plus the instruction
 * index and the checker's code when a BPF program is at fault.
 */
export function _ruleSetProblem(error: RuleSetError): _HttpError {
  const details: Record<string, unknown> = { line: error.line, column: error.column };
  if (error.chain !== undefined) details.chain = error.chain;
  if (error.rule !== undefined) details.rule = error.rule;
  let code = error.line > 0 ? "RULE_SET_SYNTAX" : "RULE_SET_INVALID";
  const cause = error.cause;
  if (cause instanceof BpfValidationError) {
    code = "BPF_VALIDATION";
    details.index = cause.index;
    details.reason = cause.code;
  } else if (cause instanceof BpfSyntaxError) {
    code = "BPF_SYNTAX";
  }
  return new _HttpError(400, code, error.message, details);
}

/** The error entry of a capture that ended a filter stream early. */
export function _captureProblem(error: unknown): _ErrorBody {
  if (error instanceof CaptureFormatError) {
    return {
      error: error.message,
      code: "CAPTURE_FORMAT",
      byteOffset: error.byteOffset,
      recordIndex: error.recordIndex,
      packetIndex: error.packetIndex,
    };
  }
  if (error instanceof _StreamIdleError) {
    return { error: error.message, code: "STREAM_IDLE", idleMs: error.idleMs };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { error: `Cannot read capture: ${message}`, code: "CAPTURE_ABORTED" };
}
