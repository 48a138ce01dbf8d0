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
