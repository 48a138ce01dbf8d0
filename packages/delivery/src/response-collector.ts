import type { Dispatcher } from "undici";
import { CappedBuffer } from "./capped-body.js";

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface CollectOptions {
  /** Response body bytes kept; past this the request is aborted (undici drops the connection). */
  readonly maxBodyBytes: number;
  /** The attempt's deadline, counted from dispatch, whatever stage the request is in by then. */
  readonly timeoutMs: number;
  /** Aborts the request (shutdown). */
  readonly signal: AbortSignal | undefined;
}

/** What one request came to: a status line (with the body read up to the cap), or an error before any status. */
export interface CollectedResponse {
  /** Undefined when no final status line arrived (connect/TLS failure, timeout, abort before the answer). */
  readonly status: number | undefined;
  /** As parsed by undici: names lower-cased, repeated headers as arrays. Empty without a status. */
  readonly headers: ResponseHeaders;
  /** UTF-8 text of the body bytes kept. */
  readonly body: string;
  /** Bytes were dropped: cap reached, or the body ended early on an error. */
  readonly truncated: boolean;
  /** Why the request ended early, before or after the status line; undefined when it completed or hit the cap. */
  readonly error: unknown;
  /** `error` is the attempt deadline (rather than undici, the network or the signal). */
  readonly deadlineExceeded: boolean;
}

/**
 * Sends `request` through `dispatcher` and collects the response with a dispatch handler instead of
 * `dispatcher.request()`: no Readable per response, no AbortController or EventTarget per attempt. The deadline is
 * one timer and the signal one listener, both removed when the promise settles. Never rejects.
 */
export function collectResponse(
  dispatcher: Dispatcher,
  request: Dispatcher.DispatchOptions,
  options: CollectOptions,
): Promise<CollectedResponse> {
  return new Promise((resolve) => new ResponseCollector(options, resolve).start(dispatcher, request));
}

const NO_HEADERS: ResponseHeaders = Object.freeze({});

/** One attempt's handler (undici's controller API). Settles exactly once; every later callback is a no-op. */
class ResponseCollector implements Dispatcher.DispatchHandler {
  private readonly body: CappedBuffer;
  private status: number | undefined = undefined;
  private headers: ResponseHeaders = NO_HEADERS;
  private error: unknown = undefined;
  private deadlineExceeded = false;
  private controller: Dispatcher.DispatchController | undefined = undefined;
  private timer: NodeJS.Timeout | undefined = undefined;
  private settled = false;

  constructor(
    private readonly options: CollectOptions,
    private readonly resolve: (response: CollectedResponse) => void,
  ) {
    this.body = new CappedBuffer(options.maxBodyBytes);
  }

  start(dispatcher: Dispatcher, request: Dispatcher.DispatchOptions): void {
    const { signal } = this.options;
    if (signal?.aborted) {
      // Shutting down: not worth a connection.
      this.error = signal.reason;
      this.finish();
      return;
    }
    this.timer = setTimeout(onDeadline, this.options.timeoutMs, this);
    // The collector is the listener (handleEvent): no closure per attempt.
    signal?.addEventListener("abort", this);
    try {
      dispatcher.dispatch(request, this);
    } catch (error) {
      this.fail(error);
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Deadline or shutdown while the request waited for a connection: we already answered, cancel it now.
    if (this.settled) controller.abort(asError(this.error));
    else this.controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: ResponseHeaders): void {
    if (statusCode < 200) return; // 1xx informational (103 Early Hints): the real answer follows
    this.status = statusCode;
    this.headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled || this.body.add(chunk)) return;
    // Past the cap: answer with what we kept and drop the connection rather than drain an unbounded body.
    this.finish();
    controller.abort(new Error(`response body over ${this.options.maxBodyBytes} bytes, not read further`));
  }

  onResponseEnd(): void {
    if (!this.settled) this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    this.fail(error);
  }

  /** The signal's abort listener. */
  handleEvent(): void {
    this.cancel(this.options.signal?.reason);
  }

  /** Deadline timer. */
  expire(): void {
    this.deadlineExceeded = true;
    this.cancel(new Error(`attempt deadline of ${this.options.timeoutMs} ms exceeded`));
  }

  /** Deadline or shutdown: settle now, then abort the request (or, before undici started it, in onRequestStart). */
  private cancel(reason: unknown): void {
    if (this.settled) return;
    this.error = reason;
    this.finish();
    this.controller?.abort(asError(reason));
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.error = error;
    this.finish();
  }

  private finish(): void {
    this.settled = true;
    clearTimeout(this.timer);
    this.options.signal?.removeEventListener("abort", this);
    this.resolve({
      status: this.status,
      headers: this.headers,
      body: this.body.text(),
      truncated: this.body.truncated || (this.status !== undefined && this.error !== undefined),
      error: this.error,
      deadlineExceeded: this.deadlineExceeded,
    });
  }
}

function onDeadline(collector: ResponseCollector): void {
  collector.expire();
}

/** undici's abort wants an Error; a signal's reason can be anything. */
function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
