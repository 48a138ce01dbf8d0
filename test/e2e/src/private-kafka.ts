import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { stablePort } from "@hookyard/test-brokers";
import { repoRoot } from "./hookyard-process.js";

/**
 * A single-node KRaft Kafka of the test's own (the harness's cached jars and server.properties template, its own
 * ports and temp log dir), so the test may stop and start it: clients reconnect to the advertised address, so a
 * TCP proxy cannot stand in for a restart as it does for the other brokers.
 */
export interface PrivateKafka {
  readonly bootstrap: string;
  /** Formats the log dir (first time only) and starts the broker; resolves once it says it started. */
  start(): Promise<void>;
  /** SIGTERM (a controlled shutdown); the log dir stays for the next start. */
  stop(): Promise<void>;
  /** Stops it and removes the log dir. */
  close(): Promise<void>;
}

const CLUSTER_ID = "HookyardE2eRestart0001"; // 22 characters, base64url, as StorageTool wants

/** The harness's jars (`test/brokers/brokers up kafka` downloads them). */
function kafkaLibs(): string {
  const cache = join(process.env.HOOKYARD_CACHE_DIR ?? join(homedir(), ".cache", "hookyard"), "kafka");
  const newest = (existsSync(cache) ? readdirSync(cache) : [])
    .map((dir) => join(cache, dir, "libs"))
    .filter((libs) => existsSync(join(libs, ".complete")))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (newest === undefined) throw new Error(`no Kafka jars under ${cache}: run \`test/brokers/brokers up kafka\``);
  return newest;
}

function java(args: readonly string[]): ChildProcess {
  return spawn("java", args, { stdio: ["ignore", "pipe", "pipe"] });
}

export async function privateKafka(): Promise<PrivateKafka> {
  const libs = kafkaLibs();
  const dir = mkdtempSync(join(tmpdir(), "hookyard-kafka-"));
  const [port, controllerPort] = [await stablePort(), await stablePort()];
  const brokersDir = join(repoRoot, "test", "brokers", "kafka");
  const properties = join(dir, "server.properties");
  writeFileSync(
    properties,
    readFileSync(join(brokersDir, "server.properties.template"), "utf8")
      .replaceAll("@HOST@", "127.0.0.1")
      .replaceAll("@PORT@", String(port))
      .replaceAll("@CONTROLLER_PORT@", String(controllerPort))
      .replaceAll("@DATA_DIR@", join(dir, "data")),
  );
  const classpath = `${libs}/*`;
  const common = ["-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"];
  let formatted = false;
  let broker: ChildProcess | undefined;
  let output = "";

  const format = async () => {
    const tool = java([
      ...common,
      "-cp",
      classpath,
      "kafka.tools.StorageTool",
      "format",
      "-t",
      CLUSTER_ID,
      "-c",
      properties,
      "--ignore-formatted",
    ]);
    let text = "";
    tool.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    tool.stderr?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => tool.once("exit", resolve));
    if (code !== 0) throw new Error(`kafka storage format failed (${code}): ${text}`);
    formatted = true;
  };

  const stop = async () => {
    const running = broker;
    broker = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGTERM");
    await exited;
  };

  return {
    bootstrap: `127.0.0.1:${port}`,
    async start() {
      if (!formatted) await format();
      output += "\n== start\n";
      const from = output.length;
      const next = java([
        ...common,
        `-Dlog4j2.configurationFile=${join(brokersDir, "log4j2.properties")}`,
        "-cp",
        classpath,
        "kafka.Kafka",
        properties,
      ]);
      broker = next;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`kafka did not start in 60 s: ${output.slice(-2000)}`)),
          60_000,
        );
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.slice(from).includes("Kafka Server started")) {
            clearTimeout(timer);
            resolve();
          }
        };
        next.stdout?.on("data", onData);
        next.stderr?.on("data", onData);
        next.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`kafka exited with ${code} while starting: ${output.slice(-2000)}`));
        });
      });
    },
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
