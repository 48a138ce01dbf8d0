// The image's HEALTHCHECK: GET /healthz on this container's own port (no curl in the image). Exit 0 = healthy.
// HOOKYARD_HEALTH_URL overrides the URL, e.g. when the config listens on another port or path prefix.
const port = process.env.HOOKYARD_PORT || "8080";
const url = process.env.HOOKYARD_HEALTH_URL || `http://127.0.0.1:${port}/healthz`;
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4000) });
  if (response.status !== 200) {
    console.error(`${url} answered ${response.status}`);
    process.exit(1);
  }
} catch (error) {
  console.error(`${url}: ${error instanceof Error ? (error.cause?.message ?? error.message) : String(error)}`);
  process.exit(1);
}
