import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { TLSSocket } from "node:tls";
import { createEnvelope } from "@hookyard/core";
import type { ResolveHost } from "./guarded-connect.js";
import { createHttpDelivery, type HttpDelivery } from "./http-delivery.js";
import { startConnectProxy, testEndpoint } from "./test-support.js";

interface Pki {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** A throwaway CA, a server certificate for hooks.test and a client certificate, made with the openssl CLI. */
function makePki(dir: string): Pki {
  const openssl = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  };
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    "req",
    "-x509",
    ...ecKey,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=Hookyard Test CA",
  );
  const issue = (name: string, subject: string, extensions: string): void => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl("req", ...ecKey, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    );
  };
  issue("server", "/CN=hooks.test", "subjectAltName=DNS:hooks.test\nextendedKeyUsage=serverAuth\n");
  issue("client", "/CN=hookyard-client", "extendedKeyUsage=clientAuth\n");
  const read = (file: string): string => readFileSync(join(dir, file), "utf8");
  return {
    ca: read("ca.crt"),
    serverCert: read("server.crt"),
    serverKey: read("server.key"),
    clientCert: read("client.crt"),
    clientKey: read("client.key"),
  };
}

const envelope = createEnvelope({ id: "evt_tls", source: "test", type: "t", data: "{}" });

describe("TLS: custom CA and mTLS client certificates per endpoint", () => {
  let dir: string;
  let pki: Pki;
  let server: Server;
  let port: number;
  let delivery: HttpDelivery;
  const clientNames: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hookyard-tls-"));
    pki = makePki(dir);
    server = createServer(
      { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requestCert: true, rejectUnauthorized: true },
      (request, response) => {
        const peer = (request.socket as TLSSocket).getPeerCertificate();
        clientNames.push(String(peer.subject?.CN ?? ""));
        request.resume();
        request.on("end", () => response.end("secure"));
      },
    );
    server.on("tlsClientError", () => undefined);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as AddressInfo).port;
    const resolve: ResolveHost = async () => [{ address: "127.0.0.1", family: 4 }];
    delivery = createHttpDelivery({ resolve, ssrf: { allow: ["127.0.0.0/8"] } });
  });

  after(async () => {
    await delivery.close();
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("delivers with the endpoint's CA and client certificate; the server sees the client identity", async () => {
    const endpoint = testEndpoint(`https://hooks.test:${port}/hook`, {
      tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey },
    });
    const outcome = await delivery.send(endpoint, envelope, 1);
    assert.equal(outcome.kind, "delivered", outcome.attempt.errorMessage);
    assert.equal(outcome.attempt.responseBody, "secure");
    assert.equal(clientNames.at(-1), "hookyard-client");
  });

  it("without the custom CA the server certificate is not trusted: retry, errorClass tls", async () => {
    const outcome = await delivery.send(testEndpoint(`https://hooks.test:${port}/hook`), envelope, 1);
    assert.equal(outcome.kind, "retry");
    assert.equal(outcome.attempt.errorClass, "tls", outcome.attempt.errorMessage);
  });

  it("the certificate is checked against the URL's host name, not the resolved IP", async () => {
    const resolve: ResolveHost = async () => [{ address: "127.0.0.1", family: 4 }];
    const other = createHttpDelivery({ resolve, ssrf: { allow: ["127.0.0.0/8"] } });
    try {
      const endpoint = testEndpoint(`https://wrong-name.test:${port}/hook`, {
        tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey },
      });
      const outcome = await other.send(endpoint, envelope, 1);
      assert.equal(outcome.kind, "retry");
      assert.equal(outcome.attempt.errorClass, "tls", outcome.attempt.errorMessage);
    } finally {
      await other.close();
    }
  });

  it("without a client certificate the server refuses the handshake: retry, not delivered", async () => {
    const endpoint = testEndpoint(`https://hooks.test:${port}/hook`, { tls: { ca: pki.ca } });
    const outcome = await delivery.send(endpoint, envelope, 1);
    assert.equal(outcome.kind, "retry");
    assert.ok(
      outcome.attempt.errorClass === "tls" || outcome.attempt.errorClass === "network",
      `${outcome.attempt.errorClass}: ${outcome.attempt.errorMessage}`,
    );
  });
});

describe("TLS through the egress proxy", () => {
  it("tunnels https with the endpoint's CA and client certificate", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hookyard-tls-proxy-"));
    const pki = makePki(dir);
    const server = createServer(
      { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requestCert: true, rejectUnauthorized: true },
      (request, response) => {
        request.resume();
        request.on("end", () =>
          response.end(`hello ${(request.socket as TLSSocket).getPeerCertificate().subject?.CN}`),
        );
      },
    );
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as AddressInfo).port;
    const proxy = await startConnectProxy();
    const resolve: ResolveHost = async () => [{ address: "127.0.0.1", family: 4 }];
    const delivery = createHttpDelivery({ resolve, proxy: proxy.url, ssrf: { allow: ["127.0.0.0/8"] } });
    try {
      const endpoint = testEndpoint(`https://hooks.test:${port}/hook`, {
        tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey },
      });
      const outcome = await delivery.send(endpoint, envelope, 1);
      assert.equal(outcome.kind, "delivered", outcome.attempt.errorMessage);
      assert.equal(outcome.attempt.responseBody, "hello hookyard-client");
      assert.deepEqual(proxy.tunnels, [`127.0.0.1:${port}`]);
    } finally {
      await delivery.close();
      await proxy.close();
      server.closeAllConnections();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
