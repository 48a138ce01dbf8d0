import { announce, h } from "./dom.js";

/** Above this, a document is shown as plain text: highlighting is one element per token. */
const HIGHLIGHT_LIMIT = 200_000;
const TOKEN = /("(?:[^"\\]|\\.)*")(\s*:)?|\b(true|false|null)\b|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
let viewers = 0;

/**
 * A read-only viewer for a payload, headers or a response body: JSON pretty-printed and highlighted, anything
 * else as text; a focusable region (keyboard users can scroll it) with a Copy button that copies the original
 * text exactly (what was signed and sent). Untrusted text only ever goes into text nodes, never innerHTML.
 */
export function jsonViewer(label: string, text: string, note?: string): HTMLElement {
  const id = `viewer-${++viewers}`;
  const pretty = prettyJson(text);
  const pre = h(
    "pre",
    { class: "viewer-body", tabindex: 0, role: "region", "aria-labelledby": `${id}-label` },
    pretty === undefined ? text : highlighted(pretty),
  );
  // The visible word starts the accessible name ("Copy payload"), as speech input users say what they see.
  const copy = h(
    "button",
    { type: "button", class: "secondary small copy" },
    "Copy",
    h("span", { class: "visually-hidden" }, ` ${label.toLowerCase()}`),
  );
  copy.addEventListener("click", () => void copyText(text, label, pre));
  return h(
    "div",
    { class: "viewer" },
    h(
      "div",
      { class: "viewer-bar" },
      h("span", { id: `${id}-label`, class: "viewer-label" }, label, pretty === undefined ? "" : " (JSON)"),
      note ? h("span", { class: "hint" }, note) : null,
      copy,
    ),
    pre,
  );
}

/** Headers as a JSON object, viewed and copied like a payload. */
export function headersViewer(label: string, headers: Record<string, string> | undefined): HTMLElement | null {
  if (headers === undefined || Object.keys(headers).length === 0) return null;
  return jsonViewer(label, JSON.stringify(headers, null, 2));
}

function prettyJson(text: string): string | undefined {
  const start = text.trimStart()[0];
  if (start !== "{" && start !== "[") return undefined;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return undefined;
  }
}

function highlighted(pretty: string): (Node | string)[] {
  if (pretty.length > HIGHLIGHT_LIMIT) return [pretty];
  const parts: (Node | string)[] = [];
  let last = 0;
  for (const match of pretty.matchAll(TOKEN)) {
    const at = match.index ?? 0;
    if (at > last) parts.push(pretty.slice(last, at));
    const [token, string, colon, literal] = match;
    if (string !== undefined && colon !== undefined) {
      parts.push(h("span", { class: "json-key" }, string), colon);
    } else if (string !== undefined) {
      parts.push(h("span", { class: "json-string" }, string));
    } else {
      parts.push(h("span", { class: literal === undefined ? "json-number" : "json-literal" }, token));
    }
    last = at + token.length;
  }
  parts.push(pretty.slice(last));
  return parts;
}

async function copyText(text: string, label: string, pre: HTMLElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    announce(`${label} copied`);
  } catch {
    // No clipboard access (an insecure origin, a refused permission): select the text for Ctrl+C instead.
    const range = document.createRange();
    range.selectNodeContents(pre);
    const selection = getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    pre.focus();
    announce(`Cannot reach the clipboard: ${label.toLowerCase()} selected, press Ctrl+C to copy`, "error");
  }
}
