import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { shippedMigrations } from "@hookyard/history";
import { requireBrokers } from "@hookyard/test-brokers";
import pg from "pg";
import { runCliCaptured } from "./captured-cli.js";

const { postgresUrl } = requireBrokers("postgres");

const cli = runCliCaptured;

describe("hookyard migrate", () => {
  let dir: string;
  const schema = `hy_cli_${randomBytes(4).toString("hex")}`;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hookyard-migrate-"));
  });
  after(async () => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
    await rm(dir, { recursive: true, force: true });
  });

  it("applies the shipped migrations to history.postgres.url (from the environment), then finds nothing to do", async () => {
    const file = join(dir, "hookyard.yaml");
    await writeFile(file, `history: { postgres: { schema: ${schema} } }\n`);
    const env = { HOOKYARD_HISTORY_POSTGRES_URL: postgresUrl };
    const versions = shippedMigrations().map((m) => m.version);
    const first = await cli(["migrate", "-c", file], env);
    assert.equal(first.code, 0, first.err);
    assert.equal(
      first.out,
      `history schema "${schema}": applied ${versions.join(", ")}; now at version ${versions.length}\n`,
    );
    const again = await cli(["migrate", "-c", file], env);
    assert.equal(again.code, 0, again.err);
    assert.equal(again.out, `history schema "${schema}": already at version ${versions.length}\n`);
  });

  it("exits 78 when no PostgreSQL is configured and 69 when it cannot be reached", async () => {
    const memory = join(dir, "memory.yaml");
    await writeFile(memory, "{}\n");
    const none = await cli(["migrate", "-c", memory]);
    assert.equal(none.code, 78);
    assert.match(none.err, /history\.postgres\.url is not set/);
    const down = join(dir, "down.yaml");
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    await writeFile(down, 'history: { postgres: { url: "postgres://postgres@127.0.0.1:1/postgres" } }\n');
    const unreachable = await cli(["migrate", "-c", down]);
    assert.equal(unreachable.code, 69);
    assert.match(unreachable.err, /HISTORY_UNAVAILABLE: history store \(PostgreSQL\) could not migrate/);
  });
});
