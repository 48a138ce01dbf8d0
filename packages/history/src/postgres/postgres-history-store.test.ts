import { requireBrokers } from "@hookyard/test-brokers";
import { describeHistoryConformance } from "../conformance/history-conformance.js";
import { openPostgresTestHistory } from "./test-schema.js";

const { postgresUrl } = requireBrokers("postgres");

describeHistoryConformance("postgres", (options) => openPostgresTestHistory(postgresUrl, options));
