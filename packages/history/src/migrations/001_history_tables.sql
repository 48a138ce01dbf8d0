-- Hookyard history tier, version 1: settled deliveries with their attempts.
--
-- The table is partitioned twice: by LIST (status), so delivered records and dead letters keep their own
-- retention, then by RANGE (settled_at), one partition per UTC day. Day partitions are created ahead and
-- dropped when expired by the store (`maintain`), never by deleting rows. Partitions copy these definitions
-- and inherit every index below.
--
-- A row is one settle of one delivery: (delivery_id, settled_at, status) is its identity, so writing the same
-- settle again is a no-op (ON CONFLICT DO NOTHING). Wide values are compressed with lz4 (cheap to write, and
-- JSON shrinks to a half or a third) when a row exceeds PostgreSQL's TOAST threshold (~2 kB). Timestamps are UTC; ids and types sort bytewise (COLLATE "C")
-- so keyset pages follow the same order in every database locale.

CREATE TABLE deliveries (
  delivery_id   text COLLATE "C" NOT NULL,
  status        text NOT NULL CHECK (status IN ('delivered', 'dead')),
  settled_at    timestamptz NOT NULL,
  created_at    timestamptz NOT NULL,
  message_id    text NOT NULL,
  endpoint_id   text COLLATE "C" NOT NULL,
  owner         text COLLATE "C" NOT NULL,
  event_id      text COLLATE "C" NOT NULL,
  event_type    text COLLATE "C" NOT NULL,
  attempts      integer NOT NULL,
  dead_reason   text,
  replayed      boolean NOT NULL DEFAULT false,
  -- The envelope without its payload: id, source, type, time, subject, contentType, headers, key,
  -- idempotencyKey. json (not jsonb) keeps the text exactly as written.
  envelope      json NOT NULL,
  -- The payload: a JSON document as exact text (searchable), or else the bytes. Exactly one is set.
  payload_json  json COMPRESSION lz4,
  payload_bytes bytea COMPRESSION lz4,
  -- The latest attempt without headers and bodies, for lists.
  last_attempt  json,
  -- This settle's attempts with headers and capped bodies, oldest first: [{ attemptId, attempt, startedAt,
  -- durationMs, status, errorClass, errorMessage, requestHeaders, responseHeaders, responseBody,
  -- responseBodyTruncated }]. Kept in the row, not in a table of their own: they are only ever read per
  -- delivery, they share its retention, and one row per settle costs half the writes (and WAL) of two.
  attempt_log   json COMPRESSION lz4 NOT NULL,
  PRIMARY KEY (delivery_id, settled_at, status),
  CHECK ((payload_json IS NULL) <> (payload_bytes IS NULL))
) PARTITION BY LIST (status);

CREATE TABLE deliveries_delivered PARTITION OF deliveries FOR VALUES IN ('delivered') PARTITION BY RANGE (settled_at);
CREATE TABLE deliveries_dead PARTITION OF deliveries FOR VALUES IN ('dead') PARTITION BY RANGE (settled_at);

-- The admin API's and dashboard's lists: newest first by creation, per filter, settles not replayed since.
CREATE INDEX deliveries_created ON deliveries (created_at DESC, delivery_id DESC) WHERE NOT replayed;
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, created_at DESC, delivery_id DESC) WHERE NOT replayed;
CREATE INDEX deliveries_owner ON deliveries (owner, created_at DESC, delivery_id DESC) WHERE NOT replayed;
CREATE INDEX deliveries_type ON deliveries (event_type, created_at DESC, delivery_id DESC) WHERE NOT replayed;
CREATE INDEX deliveries_event ON deliveries (event_id);
-- Payload search by containment (@>); jsonb_path_ops: smaller and faster for @>, the only operator used.
CREATE INDEX deliveries_payload ON deliveries USING gin ((payload_json::jsonb) jsonb_path_ops)
  WHERE payload_json IS NOT NULL;
-- Dead letters of an endpoint, oldest death first.
CREATE INDEX deliveries_dead_endpoint ON deliveries_dead (endpoint_id, settled_at, delivery_id) WHERE NOT replayed;
