/**
 * The command line every private redis-server of the tests starts from: loopback only, its own folder, the AOF
 * as the docs recommend it (appendfsync everysec) and no RDB snapshots. Callers add their own settings after it.
 */
export function redisServerArgs(port: number, dir: string): string[] {
  return [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--appendonly",
    "yes",
    "--appendfsync",
    "everysec",
    "--save",
    "",
  ];
}
