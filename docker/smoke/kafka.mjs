// The smoke test's Kafka client, run on the host with @platformatic/kafka from the repository's node_modules:
//   node kafka.mjs produce BROKERS TOPIC ID TYPE JSON_BODY   one CloudEvents binary-mode message (ce-* headers)
//   node kafka.mjs delete BROKERS TOPIC                       removes the test topic
import { Admin, Producer, stringSerializer } from "@platformatic/kafka";

const [command, brokers, topic, id, type, body] = process.argv.slice(2);
if (!brokers || !topic || (command === "produce" ? !body : command !== "delete")) {
  console.error("usage: kafka.mjs produce BROKERS TOPIC ID TYPE JSON_BODY | delete BROKERS TOPIC");
  process.exit(2);
}
const base = { clientId: "hookyard-docker-smoke", bootstrapBrokers: brokers.split(",") };
const admin = new Admin(base);

if (command === "produce") {
  // The source creates its topic at start-up (createTopics.enabled); creating it here too makes the order of the
  // two irrelevant.
  if (!(await admin.listTopics()).includes(topic)) {
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 }).catch(() => undefined);
  }
  await admin.close();
  const serializers = {
    key: stringSerializer,
    value: stringSerializer,
    headerKey: stringSerializer,
    headerValue: stringSerializer,
  };
  const producer = new Producer({ ...base, idempotent: true, serializers });
  await producer.send({
    acks: -1,
    messages: [
      {
        topic,
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
  await producer.close();
} else {
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.close();
}
