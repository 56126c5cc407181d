/**
 * The staff plugins written before the guard existed, now mounted behind it: they work
 * with a session and audit with the signed-in username (issue 4, "mount everything").
 */
import { describe, expect, test } from "bun:test";
import { seedWorld } from "../fixtures/world.ts";
import { runtimePerTest } from "../helpers.ts";
import { send, signIn } from "./session.ts";

const XONE = "3398182015544";

const fresh = runtimePerTest();

async function setup() {
  const h = fresh();
  seedWorld(h.rt.db, h.rt.settings, h.clock.now(), {});
  const staff = await signIn(h.rt, h.app, { role: "staff" });
  const admin = await signIn(h.rt, h.app);
  const audit = async (action: string) => (await admin.call("GET", `/api/v1/audit?action=${action}`)).body.items;
  return { ...h, staff, admin, audit };
}

describe("mounted staff plugins", () => {
  test("Youjiu push login: push to a waiting XONE, the device gets the member; push, cancel and QR bindings are audited", async () => {
    const h = await setup();
    const poll = () => send(h.app, "POST", "/youjiu/third_user", { type: "f-push", value: XONE });
    expect((await poll()).body.result).toEqual({ waiting: 1 });
    const devices = await h.staff.call("GET", "/api/v1/youjiu/devices");
    expect(devices.body.find((d: any) => d.sn === XONE).readyForPush).toBe(true);
    const push = await h.staff.call("POST", `/api/v1/youjiu/devices/${XONE}/push`, { memberId: 1001 });
    expect(push.body).toEqual({ sn: XONE, status: "pending", memberId: 1001, scene: "meas-composition" });
    expect((await poll()).body.result.user_info.uid).toBe(1001);
    expect((await h.audit("youjiu.push"))[0]).toMatchObject({ actor: "frontdesk", entityId: XONE, after: { memberId: 1001, scene: "meas-composition" } });
    await poll();
    await h.staff.call("POST", `/api/v1/youjiu/devices/${XONE}/push`, { memberId: 1002 });
    expect((await h.staff.call("DELETE", `/api/v1/youjiu/devices/${XONE}/push`)).status).toBe(200);
    expect((await h.audit("youjiu.push_cancel")).length).toBe(1);
    const suspended = await h.staff.call("POST", `/api/v1/youjiu/devices/${XONE}/push`, { memberId: 1004 });
    expect(suspended.status).toBe(409);
    expect((await h.staff.call("POST", "/api/v1/youjiu/qr-bindings", { value: "0b6f1c1e-9d1a-4b8e-a3c2-6a1f1d2e3f40", memberId: 1002 })).status).toBe(200);
    expect((await h.audit("youjiu.qr_bind"))[0]).toMatchObject({ actor: "frontdesk", entityId: "1002" });
  });

  test("claims and devices answer with a session, and refuse without one", async () => {
    const h = await setup();
    expect((await h.staff.call("GET", "/api/v1/claims")).status).toBe(200);
    expect((await h.staff.call("GET", "/api/v1/devices")).status).toBe(200);
    expect((await h.staff.call("GET", "/api/v1/lefu-identities")).status).toBe(200);
    expect((await send(h.app, "GET", "/api/v1/claims")).status).toBe(401);
  });
});
