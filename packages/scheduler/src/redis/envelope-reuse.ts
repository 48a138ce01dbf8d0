import { decodeEnvelope, type Envelope } from "@hookyard/core";

/** Encoded envelope text kept by default: 8 Mi characters (the decoded envelopes take about as much again). */
const DEFAULT_REUSE_MAX_CHARS = 8 * 1024 * 1024;

/**
 * Decodes stored envelopes, and decodes each one once per instance where it can. The text a claim (or a push)
 * leases is the text the settle later copies into the outbox, and the hand-off of the same instance reads it back
 * soon after: keeping the decoded envelope, by delivery id, until then spares the second decode (a JSON parse, a
 * copy of the payload and the envelope's validation). Envelopes are immutable, so the history record shares the
 * lease's object. Kept by delivery id rather than by text: hashing a 1 KiB text costs half a decode, comparing two
 * texts of a hit a small part of one.
 *
 * Bounded by the length of the texts kept, oldest dropped first; a record another instance leased, or one that
 * settles after many others (a retry), is just decoded again.
 */
export interface EnvelopeReuse {
  /** For a lease of `deliveryId`: decodes `text` and keeps the result for the hand-off. */
  leased(deliveryId: string, text: string): Envelope;
  /** For a settled record: the envelope its lease decoded from the same text (given up then), else a new decode. */
  settled(deliveryId: string, text: string): Envelope;
  /** Deliveries kept now (tests). */
  readonly size: number;
}

export function createEnvelopeReuse(maxChars: number = DEFAULT_REUSE_MAX_CHARS): EnvelopeReuse {
  const kept = new Map<string, { readonly text: string; readonly envelope: Envelope }>();
  let chars = 0;
  const forget = (deliveryId: string, text: string) => {
    kept.delete(deliveryId);
    chars -= text.length;
  };
  return {
    leased(deliveryId, text) {
      const envelope = decodeEnvelope(text);
      const before = kept.get(deliveryId);
      if (before !== undefined) forget(deliveryId, before.text); // leased again (a retry)
      if (text.length > maxChars) return envelope;
      kept.set(deliveryId, { text, envelope });
      chars += text.length;
      // Insertion order: the first entries are the oldest. Looked at only when over (an iterator per lease adds up).
      if (chars > maxChars) {
        for (const [oldest, entry] of kept) {
          forget(oldest, entry.text);
          if (chars <= maxChars) break;
        }
      }
      return envelope;
    },
    settled(deliveryId, text) {
      const entry = kept.get(deliveryId);
      if (entry === undefined) return decodeEnvelope(text);
      forget(deliveryId, entry.text);
      return entry.text === text ? entry.envelope : decodeEnvelope(text);
    },
    get size() {
      return kept.size;
    },
  };
}
