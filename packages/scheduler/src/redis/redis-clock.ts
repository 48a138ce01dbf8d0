import type { Clock } from "../clock.js";
import type { SchedulerLogger } from "../logger.js";

/** The Redis server's time, as the `time` script reads it: [seconds, microseconds]. */
export type ReadServerTime = () => Promise<readonly [string | number, string | number]>;

export interface RedisClockOptions {
  /** This instance's clock (the system clock; tests inject a skewed one). */
  readonly local: Clock;
  readonly readServerTime: ReadServerTime;
  readonly logger: SchedulerLogger;
  /** How often the offset is measured again. */
  readonly refreshMs: number;
}

/** A clock on Redis time: the local clock plus the measured offset to the server's. */
export interface RedisClock extends Clock {
  /** Measures the offset now (also done every `refreshMs`); resolves with it (ms, Redis minus local). */
  sync(): Promise<number>;
  /** The offset last measured (0 before the first measurement). */
  readonly offsetMs: number;
  close(): void;
}

/** Readings per measurement; the one with the shortest round trip counts. */
const SAMPLES = 3;

/** Offsets beyond this are logged: a host clock this far off is worth an operator's look (NTP). */
const WARN_OFFSET_MS = 1000;

/**
 * One clock for every instance sharing a Redis store: due times, leases and rate limits are computed from the
 * Redis server's time, so a skewed host clock cannot shift schedules or steal (or lengthen) another instance's
 * leases. The offset is measured with TIME (on the master of the store's slot) against the midpoint of the
 * round trip, and refreshed every `refreshMs`; between measurements the local clock's progress is used, so
 * `now()` costs no round trip. Timers run on the local clock (durations are the same on both).
 */
export function createRedisClock(options: RedisClockOptions): RedisClock {
  const { local, logger } = options;
  let offsetMs = 0;
  let measured = false;
  let inFlight: Promise<number> | undefined;
  const refresh = setInterval(() => {
    clock.sync().catch((error: unknown) => logger.debug({ err: error }, "redis clock offset not refreshed"));
  }, options.refreshMs);
  refresh.unref();

  /** One reading: the offset against the round trip's midpoint, and the round trip (its error bound × 2). */
  async function sample(): Promise<{ offset: number; roundTrip: number }> {
    const sentAt = local.now();
    const [seconds, micros] = await options.readServerTime();
    const receivedAt = local.now();
    const serverMs = Number(seconds) * 1000 + Number(micros) / 1000;
    return { offset: Math.round(serverMs - (sentAt + receivedAt) / 2), roundTrip: receivedAt - sentAt };
  }

  async function measure(): Promise<number> {
    // The reading with the shortest round trip is the most precise (a busy event loop stretches some).
    let best = await sample();
    for (let i = 1; i < SAMPLES; i++) {
      const next = await sample();
      if (next.roundTrip < best.roundTrip) best = next;
    }
    const offset = best.offset;
    if (Math.abs(offset) >= WARN_OFFSET_MS && (!measured || Math.abs(offset - offsetMs) >= WARN_OFFSET_MS)) {
      logger.warn({ offsetMs: offset }, "this host's clock differs from redis's; scheduling uses redis time");
    }
    offsetMs = offset;
    measured = true;
    return offset;
  }

  const clock: RedisClock = {
    now: () => local.now() + offsetMs,
    setTimer: (callback, delayMs) => local.setTimer(callback, delayMs),
    sync() {
      inFlight ??= measure().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    get offsetMs() {
      return offsetMs;
    },
    close() {
      clearInterval(refresh);
    },
  };
  return clock;
}
