/** API keys and member sync (issue 17 §1–§2). */
import { describe, expect, test } from "bun:test";
import { hashKey } from "../../src/staff/api-keys.ts";
import { runBodydock, runtimePerTest, tempDir } from "../helpers.ts";
import { send, signIn } from "../staff/session.ts";

const fresh = runtimePerTest();

async function setup(scopes: string[] = ["members:read", "members:write", "measurements:read", "push"], ratePerMinute?: number) {
  const h = fresh();
  const admin = await signIn(h.rt, h.app);
  const made = await admin.call("POST", "/api/v1/api-keys", { name: "crm", scopes, ...(ratePerMinute ? { ratePerMinute } : {}) });
  expect(made.status).toBe(201);
  const key = made.body.key as string;
  const call = (method: string, path: string, body?: unknown, k = key) => send(h.app, method, path, body, { authorization: `Bearer ${k}` });
  return { h, admin, key, call, keyId: made.body.id as number };
}

describe("API keys", () => {
  test("a key is bd_…, shown once, stored only as its SHA-256", async () => {
    const { h, admin, key, keyId } = await setup();
    expect(key).toMatch(/^bd_[A-Za-z0-9_-]{43}$/);
    const row = h.rt.db.query("SELECT * FROM api_keys WHERE id = ?").get(keyId) as Record<string, unknown>;
    expect(row.hash).toBe(hashKey(key));
    expect(JSON.stringify(row)).not.toContain(key.slice(3));
    const list = await admin.call("GET", "/api/v1/api-keys");
    expect(JSON.stringify(list.body)).not.toContain(key.slice(7));
    expect(list.body[0]).toMatchObject({ name: "crm", prefix: key.slice(0, 7), revokedAt: null });
  });

  test("Bearer key works without cookie or Origin, within its scopes only", async () => {
    const { call } = await setup(["members:read"]);
    expect((await call("GET", "/api/v1/members")).status).toBe(200);
    // Writing needs members:write; no Origin is needed, the answer is about the scope.
    const put = await call("PUT", "/api/v1/members/by-number/X1", { name: "X" });
    expect(put.status).toBe(403);
    expect(put.body.error.message).toContain("members:write");
    // Routes not open to keys at all, even ones any staff session may call.
    expect((await call("GET", "/api/v1/audit")).status).toBe(403);
    expect((await call("GET", "/api/v1/claims")).status).toBe(403);
    expect((await call("POST", "/api/v1/api-keys", { name: "x", scopes: ["push"] })).status).toBe(403);
    expect((await call("GET", "/api/v1/members", undefined, "bd_not-a-real-key")).status).toBe(401);
  });

  test("revoking stops the key at once; use is audited with the key as actor", async () => {
    const { h, admin, call, keyId } = await setup();
    expect((await call("GET", "/api/v1/members")).status).toBe(200);
    await h.rt.writes.drain();
    const uses = h.rt.db.query("SELECT actor, after_json FROM audit WHERE action = 'apikey.use'").all() as { actor: string; after_json: string }[];
    expect(uses).toHaveLength(1);
    expect(uses[0]!.actor).toBe("apikey:crm");
    expect(JSON.parse(uses[0]!.after_json)).toMatchObject({ method: "GET", path: "/api/v1/members", scope: "members:read" });
    expect((h.rt.db.query("SELECT uses FROM api_keys").get() as { uses: number }).uses).toBe(1);
    expect((await admin.call("DELETE", `/api/v1/api-keys/${keyId}`)).status).toBe(200);
    expect((await call("GET", "/api/v1/members")).status).toBe(401);
  });

  test("each key has its own rate limit: 429 with Retry-After", async () => {
    const { h, admin, call } = await setup(["members:read"], 3);
    for (let i = 0; i < 3; i++) expect((await call("GET", "/api/v1/members")).status).toBe(200);
    const over = await call("GET", "/api/v1/members");
    expect(over.status).toBe(429);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    const other = (await admin.call("POST", "/api/v1/api-keys", { name: "other", scopes: ["members:read"] })).body.key;
    expect((await call("GET", "/api/v1/members", undefined, other)).status).toBe(200);
    h.clock.advance(61_000);
    expect((await call("GET", "/api/v1/members")).status).toBe(200);
  });

  test("push scope: a key can push a member to a Youjiu device", async () => {
    const { call, admin } = await setup(["push"]);
    const m = await admin.call("POST", "/api/v1/members", { name: "Pushy" });
    const r = await call("POST", "/api/v1/youjiu/devices/SN1/push", { memberId: m.body.id });
    expect(r.status).not.toBe(401);
    expect(r.status).not.toBe(403);
  });

  test("the OpenAPI document describes bearer key auth", async () => {
    const { h } = await setup();
    const doc = (await send(h.app, "GET", "/api/docs/openapi.json")).body;
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: "http", scheme: "bearer" });
    expect(JSON.stringify(doc.components.securitySchemes.apiKey.description)).toContain("members:write");
    expect(doc.paths["/api/v1/members/sync"].post.security).toEqual([{ apiKey: ["members:write"] }, { session: [] }]);
  });
});

describe("member sync", () => {
  test("PUT by number creates, then updates, then is unchanged; cards and codes as the CSV import", async () => {
    const { h, call } = await setup();
    const a = await call("PUT", "/api/v1/members/by-number/M-100", { name: "Li Na", phone: "138 0000 0001", cards: ["12345678"], codes: ["QR-LI"] });
    expect(a.status).toBe(201);
    expect(a.body.outcome).toBe("created");
    expect(a.body.member.credentials.map((c: any) => c.cardDec ?? c.code)).toEqual(["12345678", "QR-LI"]);
    const again = await call("PUT", "/api/v1/members/by-number/M-100", { name: "Li Na", phone: "138 0000 0001", cards: ["12345678"], codes: ["QR-LI"] });
    expect(again.status).toBe(200);
    expect(again.body.outcome).toBe("unchanged");
    const upd = await call("PUT", "/api/v1/members/by-number/m-100", { heightCm: 165 });
    expect(upd.body.outcome).toBe("updated");
    expect(upd.body.member).toMatchObject({ id: a.body.member.id, name: "Li Na", heightCm: 165 });
    expect((await call("GET", "/api/v1/members/by-number/M-100")).body.heightCm).toBe(165);
    const actions = (h.rt.db.query("SELECT actor, action FROM audit WHERE entity = 'member' ORDER BY id").all() as { actor: string; action: string }[]).map((r) => `${r.actor} ${r.action}`);
    expect(actions).toEqual(["apikey:crm member.sync_create", "apikey:crm member.sync_update"]);
    // Validation and conflicts answer like the API.
    expect((await call("PUT", "/api/v1/members/by-number/M-101", { name: "X", heightCm: 900 })).status).toBe(422);
    expect((await call("PUT", "/api/v1/members/by-number/M-102", { heightCm: 170 })).body.error.message).toContain("needs a name");
    const taken = await call("PUT", "/api/v1/members/by-number/M-103", { name: "Y", cards: ["12345678"] });
    expect(taken.status).toBe(409);
    expect(taken.body.error.message).toContain("belongs to Li Na (m-100)"); // people by name and member number, not ids (staff page issue)
    expect((await call("PUT", "/api/v1/members/by-number/M-104", { name: "Z", memberNo: "OTHER" })).status).toBe(422);
  });

  test("POST /members/sync answers the outcome of each member; bad ones alone are refused", async () => {
    const { admin, call } = await setup();
    await admin.call("POST", "/api/v1/members", { name: "Existing", memberNo: "S-1" });
    const r = await call("POST", "/api/v1/members/sync", {
      members: [
        { memberNo: "S-1", name: "Existing", phone: "555" },
        { memberNo: "S-2", name: "New" },
        { memberNo: "S-3", name: "Bad", birthday: "2020-02-31" },
        { memberNo: "S-2", name: "Twice" },
        { name: "Contact", email: "c@example.com" },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.results.map((x: any) => x.outcome)).toEqual(["updated", "created", "rejected", "rejected", "created"]);
    expect(r.body.results[2].errors[0].field).toBe("birthday");
    expect(r.body.results[3].errors[0].message).toContain("also on line 1");
    expect(r.body).toMatchObject({ created: 2, updated: 1, unchanged: 0, rejected: 2 });
    const again = await call("POST", "/api/v1/members/sync", { members: [{ memberNo: "S-1", name: "Existing", phone: "555" }, { name: "Contact", email: "c@example.com" }] });
    expect(again.body.results.map((x: any) => x.outcome)).toEqual(["unchanged", "unchanged"]);
    const tooMany = await call("POST", "/api/v1/members/sync", { members: Array.from({ length: 1001 }, (_, i) => ({ memberNo: `T-${i}`, name: "x" })) });
    expect(tooMany.status).toBe(422);
  });

  test("changes through a key are not echoed as member webhooks; changes on the box are", async () => {
    const { h, admin, call } = await setup();
    await call("PUT", "/api/v1/members/by-number/E-1", { name: "From HQ" });
    await admin.call("POST", "/api/v1/members", { name: "At the desk", memberNo: "E-2" });
    const events = h.rt.db.query("SELECT type, payload_json FROM outbox").all() as { type: string; payload_json: string }[];
    expect(events.map((e) => e.type)).toEqual(["member.created"]);
    expect(JSON.parse(events[0]!.payload_json).memberNo).toBe("E-2");
  });
});

describe("CLI", () => {
  test("apikey add prints the key alone on its last line; list; revoke", async () => {
    const dir = tempDir();
    const add = await runBodydock(["apikey", "add", "--name", "hq", "--scopes", "members:read,measurements:read", "--data-dir", dir]);
    expect(add.code).toBe(0);
    const lines = add.stdout.trim().split("\n");
    expect(lines.at(-1)).toMatch(/^bd_[A-Za-z0-9_-]{43}$/);
    const list = await runBodydock(["apikey", "list", "--json", "--data-dir", dir]);
    const keys = JSON.parse(list.stdout);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ name: "hq", scopes: ["members:read", "measurements:read"], createdBy: "cli", prefix: lines.at(-1)!.slice(0, 7) });
    expect((await runBodydock(["apikey", "add", "--name", "x", "--scopes", "root", "--data-dir", dir])).code).toBe(2);
    expect((await runBodydock(["apikey", "add", "--name", "hq", "--scopes", "push", "--data-dir", dir])).stderr).toContain("exists already");
    const rev = await runBodydock(["apikey", "revoke", "hq", "--data-dir", dir]);
    expect(rev.code).toBe(0);
    expect(JSON.parse((await runBodydock(["apikey", "list", "--json", "--data-dir", dir])).stdout)[0].revokedAt).not.toBeNull();
  }, 30_000);
});
