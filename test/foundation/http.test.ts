import { afterEach, describe, expect, test } from "bun:test";
import { Elysia, t } from "elysia";
import { createApp } from "../../src/app.ts";
import { AppError } from "../../src/http/errors.ts";
import { testRuntime, until } from "../helpers.ts";

let dispose: (() => Promise<void>) | undefined;
afterEach(async () => {
  await dispose?.();
  dispose = undefined;
});

function setup(over = {}) {
  const h = testRuntime(over);
  dispose = h.dispose;
  return h;
}

describe("GET /healthz", () => {
  test("200 with status, version, uptime and db ok", async () => {
    const h = setup();
    h.clock.advance(42_500);
    const res = await h.app.handle(new Request("http://localhost/healthz"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", version: h.rt.version, uptimeSeconds: 42, db: "ok" });
  });

  test("503 when the database is unusable", async () => {
    const h = setup();
    const app = createApp(h.rt);
    h.rt.db.close();
    const res = await app.handle(new Request("http://localhost/healthz"));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "error", db: "error" });
    dispose = undefined; // db already closed
  });
});

describe("error shape", () => {
  test("unknown route: 404 {error:{code,message}}", async () => {
    const h = setup();
    const res = await h.app.handle(new Request("http://localhost/no/such/thing"));
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ error: { code: "not_found", message: "no such endpoint" } });
  });

  test("validation: 422 naming the field", async () => {
    const h = setup();
    const app = h.app.use(new Elysia().post("/t/echo", ({ body }) => body, { body: t.Object({ name: t.String({ minLength: 1 }) }) }));
    const res = await app.handle(
      new Request("http://localhost/t/echo", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "" }) }),
    );
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; field: string; message: string } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.field).toBe("name");
  });

  test("AppError keeps its status and code", async () => {
    const h = setup();
    const app = h.app.use(
      new Elysia().get("/t/conflict", () => {
        throw new AppError(409, "conflict", "card already belongs to member 7", { ownerId: 7 });
      }),
    );
    const res = await app.handle(new Request("http://localhost/t/conflict"));
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: { code: "conflict", message: "card already belongs to member 7", ownerId: 7 } });
  });

  test("unexpected error: 500 with no stack trace in the answer, stack in the log", async () => {
    const h = setup();
    const app = h.app.use(
      new Elysia().get("/t/boom", () => {
        throw new Error("secret internals at /src/thing.ts:12");
      }),
    );
    const res = await app.handle(new Request("http://localhost/t/boom"));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "internal", message: "internal error" } });
    expect(text).not.toContain("thing.ts");
    expect(h.log.lines.some((l) => l.msg === "unhandled error" && String(l.stack).includes("thing.ts"))).toBe(true);
  });
});

describe("body limit", () => {
  test("a body over the limit gets 413 in the error shape", async () => {
    const h = setup({ bodyLimit: 2048 });
    const res = await h.app.handle(
      new Request("http://localhost/healthz", { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(4096) }),
    );
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: { code: "payload_too_large", message: "request body is larger than the limit of 2048 bytes" } });
  });

  test("the default limit is 1 MB", async () => {
    const h = setup();
    const app = h.app.use(new Elysia().post("/t/size", ({ body }) => ({ n: String(body).length })));
    const under = await app.handle(new Request("http://localhost/t/size", { method: "POST", body: "y".repeat(1024 * 1024) }));
    expect(under.status).toBe(200);
    const over = await app.handle(new Request("http://localhost/t/size", { method: "POST", body: "y".repeat(1024 * 1024 + 1) }));
    expect(over.status).toBe(413);
  });
});

describe("request log", () => {
  test("one JSON line per request with method, path, status, ms, remote", async () => {
    const h = setup();
    await h.app.handle(new Request("http://localhost/healthz"));
    await h.app.handle(new Request("http://localhost/missing?x=1"));
    // The log line is written after the response is handed back: wait for it, then check there are exactly two.
    await until(() => h.log.lines.filter((l) => l.msg === "request").length >= 2, "two request log lines");
    const lines = h.log.lines.filter((l) => l.msg === "request");
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatchObject({ method: "GET", path: "/healthz", status: 200 });
    expect(lines[1]).toMatchObject({ method: "GET", path: "/missing", status: 404 });
    for (const l of lines) {
      expect(typeof l.ms).toBe("number");
      expect("remote" in l).toBe(true);
    }
  });

  test("the remote address is logged when served over a socket", async () => {
    const h = setup();
    h.app.listen({ port: 0, hostname: "127.0.0.1" });
    try {
      const res = await fetch(`http://127.0.0.1:${h.app.server!.port}/healthz`);
      expect(res.status).toBe(200);
      await until(() => h.log.lines.some((l) => l.msg === "request"), "the request log line");
      const line = h.log.lines.find((l) => l.msg === "request");
      expect(line?.remote).toBe("127.0.0.1");
    } finally {
      await h.app.stop();
    }
  });
});
