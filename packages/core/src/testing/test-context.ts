import { type Logger, pino } from "pino";
import type { Context, SourceContext } from "../connector.js";
import type { Envelope } from "../envelope.js";
import { compileEnvelopeMapping, type EnvelopeMappingSpec } from "../mapping/compile-envelope-mapping.js";
import type { SourceMessage } from "../mapping/value-source.js";

/** One `deadLetter` call a test source context recorded. */
export interface DeadLetterRecord {
  readonly message: SourceMessage;
  readonly reason: string;
}

export interface TestContextOptions {
  /** pino level; "silent" unless given (HOOKYARD_TEST_LOG_LEVEL overrides, for debugging a connector). */
  readonly logLevel?: string;
}

/** A `Context` for connector tests, with its AbortController's `abort()` at hand. */
export interface TestContext extends Context {
  abort(): void;
}

export interface TestSourceContextOptions extends TestContextOptions {
  /** The source's id; "test" unless given. */
  readonly sourceId?: string;
  /** The mapping spec (as in a source's `mapping` config); CloudEvents binary-mode defaults unless given. */
  readonly mapping?: EnvelopeMappingSpec;
  /** Makes `deadLetter` reject, e.g. to test a connector whose dead-letter store is down. */
  readonly deadLetter?: (message: SourceMessage, reason: string) => Promise<void>;
}

/** A `SourceContext` that maps with the real compiled mapping and records every `deadLetter` call. */
export interface TestSourceContext extends SourceContext {
  readonly deadLetters: readonly DeadLetterRecord[];
  /** Every envelope `toEnvelope` built, in call order. */
  readonly mapped: readonly Envelope[];
  abort(): void;
}

function testLogger(options: TestContextOptions): Logger {
  return pino({ level: process.env.HOOKYARD_TEST_LOG_LEVEL ?? options.logLevel ?? "silent" });
}

export function createTestContext(options: TestContextOptions = {}): TestContext {
  const controller = new AbortController();
  return { logger: testLogger(options), signal: controller.signal, abort: () => controller.abort() };
}

export function createTestSourceContext(options: TestSourceContextOptions = {}): TestSourceContext {
  const controller = new AbortController();
  const sourceId = options.sourceId ?? "test";
  const mapping = compileEnvelopeMapping(options.mapping ?? {}, `sources.${sourceId}.mapping`);
  const deadLetters: DeadLetterRecord[] = [];
  const mapped: Envelope[] = [];
  return {
    logger: testLogger(options),
    signal: controller.signal,
    sourceId,
    deadLetters,
    mapped,
    abort: () => controller.abort(),
    toEnvelope(message) {
      const envelope = mapping.map(message);
      mapped.push(envelope);
      return envelope;
    },
    async deadLetter(message, reason) {
      if (options.deadLetter !== undefined) await options.deadLetter(message, reason);
      deadLetters.push({ message, reason });
    },
  };
}
