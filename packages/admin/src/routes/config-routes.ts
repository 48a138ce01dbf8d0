import type { FastifyInstance } from "fastify";
import { ApiError } from "../api-error.js";
import type { ConfigControl } from "../config-control.js";
import type { RouteContext } from "./context.js";

/** The running config's hash and load time, and reloading it from its file (operators only). */
export function registerConfigRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const control = (): ConfigControl => {
    const found = ctx.deps.config;
    if (found === undefined) {
      throw new ApiError(409, "RELOAD_UNAVAILABLE", "this instance was not started from a config file");
    }
    return found;
  };

  app.get("/config", async (request) => {
    ctx.requireAdmin(request);
    return control().loaded();
  });

  app.post("/config/reload", async (request, reply) => {
    ctx.requireAdmin(request);
    const report = await control().reload("api");
    if (report.result === "invalid") {
      const count = report.problems.length === 1 ? "1 problem" : `${report.problems.length} problems`;
      throw new ApiError(422, "CONFIG_INVALID", `the config file is invalid (${count}); the running config stays`, {
        problems: report.problems,
        config: report.config,
      });
    }
    if (report.result === "failed") {
      throw new ApiError(503, "UNAVAILABLE", report.problems.join("; ") || "the reload could not be applied", {
        config: report.config,
      });
    }
    if (report.result === "applied") {
      await ctx.audit.record(
        ctx.principal(request),
        "config.reload",
        { kind: "config", id: report.config.file },
        { after: { hash: report.config.hash, applied: report.applied, restartRequired: report.restartRequired } },
      );
    }
    return reply.code(200).send(report);
  });
}
