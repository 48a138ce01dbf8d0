#!/usr/bin/env node
// Regenerates src/generated/openapi.ts from the OpenAPI document (run `npm run build` first: it reads
// packages/admin/dist). Usage: npm run generate -w @hookyard/client
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { GENERATED_FILE, generateSource } from "./generate-source.mjs";

writeFileSync(GENERATED_FILE, await generateSource());
console.log(`wrote ${fileURLToPath(GENERATED_FILE)}`);
