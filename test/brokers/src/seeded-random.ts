import { randomInt } from "node:crypto";

export interface SeededRandom {
  readonly seed: number;
  /** Uniform in [0, 1), from the seed (mulberry32): the same seed gives the same sequence. */
  random(): number;
}

/** The variable that replays a run: `HOOKYARD_TEST_SEED=123456 npm run test:only -- test/e2e/dist/crash-kafka`. */
export const TEST_SEED_VARIABLE = "HOOKYARD_TEST_SEED";

/**
 * Random numbers a failing test can replay: seeded by HOOKYARD_TEST_SEED when set, else by a fresh seed. The seed
 * is printed with `label` so a failure's output says how to run the very same case again.
 */
export function seededRandom(label: string, log: (line: string) => void = console.log): SeededRandom {
  const given = process.env[TEST_SEED_VARIABLE];
  const seed = given === undefined || given === "" ? randomInt(2 ** 31) : Number(given);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`${TEST_SEED_VARIABLE} must be a whole number ≥ 0`);
  log(`${label}: seed ${seed} (replay with ${TEST_SEED_VARIABLE}=${seed})`);
  let state = seed >>> 0;
  return {
    seed,
    random() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
