/**
 * Every setting in SETTING_DEFS is viewable and changeable by admins through the API (issue 14
 * point 4): GET /api/v1/settings lists them all, PUT /api/v1/settings/:key answers for every key
 * (no 404), validates against the key's schema, audits, and never shows or audits a secret's value.
 */
import { describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import { SETTING_DEFS, type SettingDef } from "../../src/config/settings.ts";
import { SECRET_MASK } from "../../src/staff/web-support.ts";
import { runtimePerTest } from "../helpers.ts";
import { signIn } from "./session.ts";

const fresh = runtimePerTest();
const DEFS: readonly SettingDef[] = SETTING_DEFS;
/** Every secret's schema takes this (16 characters: staff.sessionKey's minimum, defaultScaleKey's exact length). */
const NEW_SECRET = "0123456789abcdef";

async function setup() {
  const h = fresh();
  const admin = await signIn(h.rt, h.app);
  const audit = async (entityId: string) =>
    (await admin.call("GET", `/api/v1/audit?action=setting.update&limit=500`)).body.items.filter((a: any) => a.entityId === entityId);
  return { ...h, admin, audit };
}

describe("settings API", () => {
  test("GET lists every key of SETTING_DEFS, with its default and schema; secrets masked", async () => {
    const h = await setup();
    const r = await h.admin.call("GET", "/api/v1/settings");
    expect(r.status).toBe(200);
    expect(r.body.settings.map((s: any) => s.key)).toEqual(DEFS.map((d) => d.key));
    for (const s of r.body.settings) {
      const def = DEFS.find((d) => d.key === s.key)!;
      expect(s.schema).toEqual(JSON.parse(JSON.stringify(def.schema)));
      if (def.secret) expect(s.value === null || s.value === SECRET_MASK).toBe(true);
      else expect(s.value).toEqual(def.default);
    }
    // staff.sessionKey and youjiu.tokenSigningKey are generated at first start: set, and masked.
    expect(r.body.settings.find((s: any) => s.key === "staff.sessionKey")).toMatchObject({ value: SECRET_MASK, isSet: true, secret: true });
    expect(r.text).not.toContain(h.rt.settings.get("staff.sessionKey"));
  });

  test("every default fits its own schema (generated keys excepted)", () => {
    for (const d of DEFS) if (!d.generate) expect([d.key, Value.Check(d.schema, d.default)]).toEqual([d.key, true]);
  });

  test("PUT answers for every key (no 404): writes, audits, and refuses a value of the wrong shape with 422", async () => {
    const h = await setup();
    let admin = h.admin;
    for (const d of DEFS) {
      const value = d.secret ? NEW_SECRET : d.default;
      const ok = await admin.call("PUT", `/api/v1/settings/${d.key}`, { value });
      // A new session key signs everyone out (that is what changing it is for): sign in again.
      if (d.key === "staff.sessionKey") admin = await signIn(h.rt, h.app);
      expect([d.key, ok.status]).toEqual([d.key, 200]);
      expect(ok.body).toEqual({ key: d.key, value: d.secret ? SECRET_MASK : value });
      expect(h.rt.settings.get(d.key as never)).toEqual(value as never);
      const bad = await admin.call("PUT", `/api/v1/settings/${d.key}`, { value: { not: "a setting value" } });
      expect([d.key, bad.status, bad.body.error.code]).toEqual([d.key, 422, "validation_failed"]);
      expect(h.rt.settings.get(d.key as never)).toEqual(value as never);
    }
    const rows = (await admin.call("GET", "/api/v1/audit?action=setting.update&limit=500")).body.items;
    expect(new Set(rows.map((a: any) => a.entityId))).toEqual(new Set(DEFS.map((d) => d.key)));
  });

  test("the keys that answered 404 before: youjiu.phoneMode, allowedScenes, push timings, lefu.displayUnit, maxTokenAgeSeconds", async () => {
    const h = await setup();
    const cases: [string, unknown][] = [
      ["youjiu.phoneMode", "china11"],
      ["youjiu.allowedScenes", ["meas-composition", "meas-girth"]],
      ["youjiu.pushActiveWindowMs", 2000],
      ["youjiu.pushTtlSeconds", 10],
      ["lefu.displayUnit", 11],
      ["yolanda.mini.maxTokenAgeSeconds", null],
      ["http.allowedHosts", ["gym.example"]],
    ];
    for (const [key, value] of cases) {
      const r = await h.admin.call("PUT", `/api/v1/settings/${key}`, { value });
      expect([key, r.status, r.body.value]).toEqual([key, 200, value]);
      expect((await h.audit(key))[0]).toMatchObject({ actor: "admin", entityId: key, before: { value: DEFS.find((d) => d.key === key)!.default }, after: { value } });
    }
    expect((await h.admin.call("PUT", "/api/v1/settings/lefu.displayUnit", { value: 12 })).status).toBe(422);
    expect((await h.admin.call("PUT", "/api/v1/settings/youjiu.phoneMode", { value: "china12" })).status).toBe(422);
    expect(h.rt.settings.get("lefu.displayUnit")).toBe(11);
  });

  test("a secret: its value is never answered nor audited, and the mask sent back is refused", async () => {
    const h = await setup();
    const r = await h.admin.call("PUT", "/api/v1/settings/metrics.token", { value: "scrape-token-very-secret" });
    expect(r.body).toEqual({ key: "metrics.token", value: SECRET_MASK });
    expect(h.rt.settings.get("metrics.token")).toBe("scrape-token-very-secret");
    const rows = await h.audit("metrics.token");
    expect(rows[0]).toMatchObject({ before: { set: false }, after: { set: true } });
    expect(JSON.stringify(rows)).not.toContain("scrape-token");
    expect(JSON.stringify((await h.admin.call("GET", "/api/v1/settings")).body)).not.toContain("scrape-token");
    const masked = await h.admin.call("PUT", "/api/v1/settings/metrics.token", { value: SECRET_MASK });
    expect(masked.status).toBe(422);
    expect(h.rt.settings.get("metrics.token")).toBe("scrape-token-very-secret");
  });

  test("an unknown key is 404; staff who are not admins get 403", async () => {
    const h = await setup();
    expect((await h.admin.call("PUT", "/api/v1/settings/youjiu.nope", { value: 1 })).status).toBe(404);
    const staff = await signIn(h.rt, h.app, { role: "staff" });
    expect((await staff.call("GET", "/api/v1/settings")).status).toBe(403);
    expect((await staff.call("PUT", "/api/v1/settings/lefu.displayUnit", { value: 1 })).status).toBe(403);
    expect(h.rt.settings.get("lefu.displayUnit")).toBe(0);
  });
});
