// The smoke test's Kafka client, run on the host with kafkajs from the repository's node_modules:
//   node kafka.mjs produce BROKERS TOPIC ID TYPE JSON_BODY   one CloudEvents binary-mode message (ce-* headers)
//   node kafka.mjs delete BROKERS TOPIC                       removes the test topic
import { createRequire } from "node:module";

const require = createRequire(new URL("../../package.json", import.meta.url));
const { Kafka, logLevel } = require("kafkajs");

const [command, brokers, topic, id, type, body] = process.argv.slice(2);
if (!brokers || !topic || (command === "produce" ? !body : command !== "delete")) {
  console.error("usage: kafka.mjs produce BROKERS TOPIC ID TYPE JSON_BODY | delete BROKERS TOPIC");
  process.exit(2);
}
const kafka = new Kafka({ clientId: "hookyard-docker-smoke", brokers: brokers.split(","), logLevel: logLevel.ERROR });

if (command === "produce") {
  // The source creates its topic at start-up (createTopics.enabled); creating it here too makes the order of the
  // two irrelevant.
  const admin = kafka.admin();
  await admin.connect();
  if (!(await admin.listTopics()).includes(topic)) {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }).catch(() => undefined);
  }
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: [
      {
        key: id,
        value: body,
        headers: {
          "ce-specversion": "1.0",
          "ce-id": id,
          "ce-type": type,
          "ce-source": "hookyard-docker-smoke",
          "content-type": "application/json",
        },
      },
    ],
  });
  await producer.disconnect();
} else {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic], timeout: 10000 }).catch(() => undefined);
  await admin.disconnect();
}
