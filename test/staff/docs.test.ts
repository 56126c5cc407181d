/** The OpenAPI description and its self-contained page (issue 4 §9). */
import { describe, expect, test } from "bun:test";
import { runtimePerTest } from "../helpers.ts";
import { send } from "./session.ts";

const fresh = runtimePerTest();

describe("API description", () => {
  test("openapi.json describes every /api/v1 route from its schemas, and nothing else", async () => {
    const h = fresh();
    const r = await send(h.app, "GET", "/api/docs/openapi.json");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("application/json");
    const doc = r.body;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.version).toBe(h.rt.version);
    const described = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, object>)) for (const m of Object.keys(ops)) described.add(`${m.toUpperCase()} ${path}`);
    const registered = h.app.routes.filter((x) => x.path.startsWith("/api/v1/")).map((x) => `${x.method.toUpperCase()} ${x.path.replace(/:(\w+)/g, "{$1}")}`);
    expect([...described].sort()).toEqual([...new Set(registered)].sort());
    expect(Object.keys(doc.paths).every((p) => p.startsWith("/api/v1/"))).toBe(true);

    const create = doc.paths["/api/v1/members"].post;
    const schema = create.requestBody.content["application/json"].schema;
    expect(schema.required).toEqual(["name"]);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["memberNo", "name", "phone", "email", "sex", "birthday", "heightCm", "extendData"]));
    expect(schema.properties.extendData.maxLength).toBe(255);
    expect(schema.properties.sex.enum).toEqual(["male", "female", "unspecified"]);
    expect(doc.paths["/api/v1/members/import"].post.requestBody.content["text/csv"]).toBeDefined();
    expect(doc.paths["/api/v1/members/export.csv"].get.responses["200"].content["text/csv"]).toBeDefined();
    expect(create.responses["201"]).toBeDefined();
    expect(doc.paths["/api/v1/members"].get.parameters.map((p: any) => p.name)).toEqual(["q", "status", "measuredWithinDays", "notMeasuredForDays", "limit", "offset"]);
    // Sign-in and setup are public; everything else needs the session cookie.
    expect(doc.paths["/api/v1/auth/login"].post.security).toEqual([]);
    expect(doc.paths["/api/v1/audit"].get.security).toBeUndefined();
    // Routes open to API keys name the scope (issue 17), besides the session.
    expect(doc.paths["/api/v1/members"].get.security).toEqual([{ apiKey: ["members:read"] }, { session: [] }]);
    expect(doc.security).toEqual([{ session: [] }]);
    expect(doc.components.securitySchemes.session).toEqual({ type: "apiKey", in: "cookie", name: "bodydock_session" });
  });

  test("/api/docs is one self-contained page: no external script, style, font or image", async () => {
    const h = fresh();
    const r = await send(h.app, "GET", "/api/docs");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/html");
    expect(r.text).toContain("/api/docs/openapi.json");
    expect(r.text).not.toMatch(/<script[^>]+src=/i);
    expect(r.text).not.toMatch(/<link[^>]+href=/i);
    expect(r.text).not.toMatch(/@import|url\(/i);
    expect(r.text).not.toMatch(/https?:\/\/(?!example)/i);
  });
});
