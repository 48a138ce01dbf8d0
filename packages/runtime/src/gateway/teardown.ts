/**
 * What a starting gateway has opened, closed in reverse order. Each step added as soon as its part is open, so a
 * failure half-way through start-up closes exactly what was opened.
 */
export interface Teardown {
  add(step: () => Promise<void> | void): void;
  /** Runs every step, last added first; a failing step does not stop the others. */
  run(): Promise<void>;
}

export function createTeardown(): Teardown {
  const steps: (() => Promise<void> | void)[] = [];
  return {
    add(step) {
      steps.push(step);
    },
    async run() {
      while (steps.length > 0) {
        const step = steps.pop();
        try {
          await step?.();
        } catch {
          // Closing is best effort: the next part still has to close.
        }
      }
    },
  };
}
