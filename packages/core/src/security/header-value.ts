/**
 * Whether a string may travel as an HTTP header value: only HTAB, visible ASCII, space and obs-text. CR, LF and
 * NUL would split or cut the header (header injection). One rule for endpoint headers in the config, envelope
 * fields that become webhook headers (id, type, content type) and the ingest API's checks.
 */
export function isSafeHeaderValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return false;
  }
  return true;
}
