import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { waitFor } from "@hookyard/test-brokers";
import { freePort, runHookyard } from "./hookyard-process.js";

const exec = promisify(execFile);

describe("quick start: `npm start` on the embedded default", () => {
  it("prints a curl that gets a signed webhook delivered to the demo receiver, and exits cleanly on SIGTERM", async () => {
    const port = await freePort();
    const receiverPort = await freePort();
    // The same command `npm start` runs, with ports of its own so tests can run side by side.
    const hookyard = runHookyard(["start", "--demo", "-c", "config/hookyard.example.yaml"], {
      HOOKYARD_PORT: String(port),
      DEMO_RECEIVER_PORT: String(receiverPort),
    });
    try {
      const curlLine = await hookyard.waitForLine(/^\s*curl -X POST /);
      await hookyard.waitForLine(/not durable/i);
      // Run the printed command exactly as a newcomer pastes it into a shell.
      const { stdout } = await exec("sh", ["-c", `${curlLine.trim()} --silent --show-error --fail`]);
      const accepted = JSON.parse(stdout) as { id: string; deliveries: number };
      assert.equal(accepted.deliveries, 1);

      const receiverUrl = `http://127.0.0.1:${receiverPort}/webhooks`;
      const webhook = await waitFor("the webhook at the demo receiver", async () => {
        const list = (await (await fetch(receiverUrl)).json()) as {
          id: string;
          type?: string;
          verified: boolean;
          body: string;
        }[];
        return list.find((item) => item.id === accepted.id);
      });
      assert.equal(webhook.verified, true, "the demo receiver verified the Standard Webhooks signature");
      // The Standard Webhooks structure: the event's type and time, the payload as data.
      const structured = JSON.parse(webhook.body) as { type: string; timestamp: string; data: unknown };
      assert.deepEqual(structured.data, { orderId: "o-1", amount: 42 });
      assert.equal(structured.type, webhook.type);
      assert.ok(!Number.isNaN(Date.parse(structured.timestamp)));
      await hookyard.waitForLine(/demo receiver got a webhook/);

      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /hookyard_delivery_attempts_total\{endpoint="demo-receiver",outcome="delivered"\} 1/);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(ready.status, 200);
    } finally {
      hookyard.kill("SIGTERM");
    }
    const exit = await hookyard.exited;
    assert.equal(exit.code, 0, hookyard.stderr());
    assert.match(hookyard.stdout(), /hookyard stopped/);
  });
});
