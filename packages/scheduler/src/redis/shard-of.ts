/**
 * Which of `count` shards a string (an endpoint id, a dedup key, a rejected message's origin) belongs to: the
 * 32-bit FNV-1a hash of its UTF-8 bytes, modulo `count`. Stable across processes, versions and platforms (it is
 * part of the stored data's layout: changing it moves every endpoint), cheap, and spreads short ids evenly.
 */
export function shardOf(id: string, count: number): number {
  if (count <= 1) return 0;
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(id, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}

/**
 * The hash tag of shard `index` of `count` (> 1): `<prefix>:<index>`, or `<prefix>:<index>.<n>` with the smallest
 * n that puts it in the index-th `count`-th of the 16,384 Redis Cluster slots. Evenly spaced slots matter: masters
 * own contiguous slot ranges (equal ones after `redis-cli --cluster create` or `rebalance`), so with N a
 * multiple of the master count each master holds N/masters shards — the plain tags land where CRC16 puts
 * them (12 shards on 3 masters came out 3/5/4). Deterministic: part of the stored layout, like `shardOf`.
 */
export function shardTag(prefix: string, index: number, count: number): string {
  const low = Math.floor((index * CLUSTER_SLOTS) / count);
  const high = Math.floor(((index + 1) * CLUSTER_SLOTS) / count);
  for (let n = 0; ; n++) {
    const tag = n === 0 ? `${prefix}:${index}` : `${prefix}:${index}.${n}`;
    const slot = clusterSlot(tag);
    if (slot >= low && slot < high) return tag;
  }
}

const CLUSTER_SLOTS = 16_384;

/** Redis Cluster's slot of a hash tag: CRC16 (XMODEM) of its bytes modulo 16,384. */
export function clusterSlot(tag: string): number {
  let crc = 0;
  for (const byte of Buffer.from(tag, "utf8")) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % CLUSTER_SLOTS;
}
