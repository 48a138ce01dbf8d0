import type { Schema } from "convict";

export interface RedisStreamsSourceConfig {
  url: string;
  stream: string;
  group: string;
  consumer: string;
  createGroup: boolean;
  maxInFlight: number;
  blockMs: number;
  claimIdleMs: number;
}

export interface RedisStreamsSinkConfig {
  url: string;
  stream: string;
  maxLength: number;
  maxMessageBytes: number;
}

const url = {
  doc: "Redis URL of the server holding the stream (redis://user:password@host:port/db).",
  format: String,
  default: "redis://127.0.0.1:6379",
  sensitive: true,
};

export const sourceSchema: Schema<RedisStreamsSourceConfig> = {
  url,
  stream: { doc: "Stream key to consume.", format: String, default: "" },
  group: { doc: "Consumer group; instances sharing it split the stream.", format: String, default: "hookyard" },
  consumer: {
    doc: "Consumer name within the group; empty means hostname-pid (unique per instance).",
    format: String,
    default: "",
  },
  createGroup: {
    doc: "Create the stream and the group (from the stream's start) when missing. Off: they must exist.",
    format: Boolean,
    default: false,
  },
  maxInFlight: { doc: "Most entries handed to Hookyard and not yet acked.", format: "nat", default: 64 },
  blockMs: { doc: "How long one XREADGROUP waits for new entries.", format: "nat", default: 5000 },
  claimIdleMs: {
    doc: "Entries pending longer than this with another consumer (one that died) are claimed and redelivered.",
    format: "nat",
    default: 60000,
  },
};

export const sinkSchema: Schema<RedisStreamsSinkConfig> = {
  url,
  stream: { doc: "Stream key to append to.", format: String, default: "" },
  maxLength: {
    doc: "Approximate cap on the stream length (XADD MAXLEN ~); 0 keeps everything.",
    format: "nat",
    default: 0,
  },
  maxMessageBytes: {
    doc: "Largest payload appended (bytes); a larger event fails for good, and an ingress route whose only targets cannot take it answers 413.",
    format: "nat",
    default: 1048576,
  },
};
