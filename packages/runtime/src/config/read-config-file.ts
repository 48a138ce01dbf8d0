import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { isCollection, LineCounter, parseDocument } from "yaml";
import type { Locate, ProblemCollector } from "./collect-problems.js";
import type { Segments } from "./key-path.js";

const EXTENSIONS = [".yaml", ".yml", ".json"];
/** Alias expansions allowed in one file: plenty for anchors reused by hand, far too few for an alias bomb. */
const MAX_ALIAS_COUNT = 100;

export interface ParsedFile {
  readonly value: unknown;
  /** Line and column of a key path in the file (or of its nearest existing parent). */
  readonly locate: Locate;
  /** sha256 (hex) of the file's bytes, so an operator can tell which file a running instance loaded. */
  readonly hash: string;
}

/**
 * Reads a .yaml/.yml/.json config file. JSON is parsed by the same YAML 1.2 parser (JSON is a subset of it), so
 * both get line numbers in errors and duplicate keys are refused. Problems go to `problems`; undefined is returned
 * when the file cannot be used at all.
 */
export async function readConfigFile(path: string, problems: ProblemCollector): Promise<ParsedFile | undefined> {
  const extension = extname(path).toLowerCase();
  if (!EXTENSIONS.includes(extension)) {
    problems.add([], "a .yaml, .yml or .json file", JSON.stringify(extension || path));
    return undefined;
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    problems.add([], "a readable file", (error as NodeJS.ErrnoException).code ?? (error as Error).message);
    return undefined;
  }
  return parseConfigText(bytes.toString("utf8"), problems, sha256(bytes));
}

export function parseConfigText(
  text: string,
  problems: ProblemCollector,
  hash = sha256(Buffer.from(text, "utf8")),
): ParsedFile | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const position = lineCounter.linePos(error.pos[0]);
      const reason = error.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? "a syntax error";
      problems.addAtPosition(position.line, position.col, "valid YAML", reason);
    }
    return undefined;
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // The yaml library refuses documents whose aliases expand beyond the bound (a "billion laughs" alias bomb
    // grows exponentially): a problem with the file like any other, not a crash.
    const excessive = /alias/i.test((error as Error).message);
    problems.add(
      [],
      excessive
        ? `YAML aliases (*name) that expand to a bounded document (at most ${MAX_ALIAS_COUNT} alias expansions)`
        : "a YAML document that can be read",
      excessive ? "aliases that expand without bound (an alias bomb)" : (error as Error).message,
    );
    return undefined;
  }
  const locate: Locate = (segments: Segments) => {
    for (let length = segments.length; length >= 0; length--) {
      const node = doc.getIn(segments.slice(0, length), true) as { range?: [number, number, number] } | undefined;
      if (node !== undefined && node !== null && typeof node === "object" && node.range !== undefined) {
        const position = lineCounter.linePos(node.range[0]);
        return { line: position.line, column: position.col };
      }
      if (length === 0 && isCollection(doc.contents)) return undefined;
    }
    return undefined;
  };
  return { value, locate, hash };
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
