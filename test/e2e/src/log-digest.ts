/** Hookyard's JSON log levels (`level` is a name) that a failing test should show. */
const SHOWN_LEVELS = new Set(["warn", "error", "fatal"]);

/**
 * What a failing end-to-end test should show of Hookyard's own log: its warnings and errors grouped by message,
 * each with its count, when it was first and last seen and the first error's text, plus the last lines of stderr.
 * A CI failure then says what Hookyard ran into, not only what the test saw.
 */
export function logDigest(stdout: string, stderr: string, maxGroups = 20): string {
  const groups = new Map<string, { count: number; first: string; last: string; err?: string }>();
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    let entry: { level?: unknown; message?: unknown; alert?: unknown; time?: unknown; err?: { message?: unknown } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (typeof entry.level !== "string" || !SHOWN_LEVELS.has(entry.level)) continue;
    // An operator alert's type (breaker opened, endpoint disabled, …) tells more than its message.
    const alert = typeof entry.alert === "string" ? ` [${entry.alert}]` : "";
    const message = `${entry.level}: ${String(entry.message)}${alert}`;
    const time = String(entry.time ?? "?");
    const group = groups.get(message) ?? { count: 0, first: time, last: time };
    group.count += 1;
    group.last = time;
    if (group.err === undefined && entry.err?.message !== undefined) group.err = String(entry.err.message);
    groups.set(message, group);
  }
  const lines = [...groups]
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, maxGroups)
    .map(([message, group]) => {
      const cause = group.err === undefined ? "" : ` (${group.err})`;
      return `  ${group.count}× ${message}${cause}, ${group.first} .. ${group.last}`;
    });
  const errTail = stderr.trim().split("\n").slice(-10).join("\n");
  return [
    lines.length === 0 ? "  no warnings or errors logged" : lines.join("\n"),
    errTail === "" ? "" : `stderr (last lines):\n${errTail}`,
  ]
    .filter((part) => part !== "")
    .join("\n");
}
