/**
 * Face login end to end (issue 15) with real photos: the six demo photos of @vladmandic/face-api
 * (22 faces), cropped and transformed in test/face/photos.ts. The face worker is one per process,
 * so the models load once for the whole file.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { seedWorld } from "../fixtures/world.ts";
import { everyStoredText } from "../fixtures/then.ts";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, runtimePerTest, until } from "../helpers.ts";
import { signIn, type Session } from "../staff/session.ts";
import { allFaces, cameraFrame, dataUrl, faceImage, photoBytes, type Face } from "./photos.ts";
import { descriptorToBlob } from "../../src/face/match.ts";
import { writePng } from "../../src/face/image.ts";
import { faceWorker } from "../../src/face/worker-client.ts";

const fresh = runtimePerTest();
const XONE = "3398182015544";
const KEY = "fixture-youjiu-signing-key-not-for-production";
const NOW_S = 1762430400;

let faces: Face[];
let alex: Face, bea: Face, other: Face;
beforeAll(async () => {
  faces = await allFaces();
  const byId = (id: string) => faces.find((f) => f.id === id)!;
  [alex, bea, other] = [byId("s1f0"), byId("s3f1"), byId("s6f2")];
}, 120_000);

async function setup(opts: { enabled?: boolean; locale?: "en" | "zh-CN" } = {}) {
  const h = fresh();
  seedWorld(h.rt.db, h.rt.settings, h.clock.now(), { "youjiu.locale": opts.locale ?? "en" });
  h.rt.settings.set("face.enabled", opts.enabled ?? true, "test");
  const admin = await signIn(h.rt, h.app, { role: "admin" });
  const t = await new SignJWT({ sn: XONE, aud: "bodydock-youjiu", iat: NOW_S - 60, exp: NOW_S + 3540 }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(KEY));
  const third = async (value: unknown, headers: Record<string, string> = { authorization: `Bearer ${t}` }) => {
    const res = await h.app.handle(
      new Request("http://localhost/youjiu/third_user", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ type: "face_image", value, scene: "meas-composition" }) }),
    );
    return { status: res.status, body: (await res.json()) as { code: number; message: string; result: Record<string, any> } };
  };
  const enrol = (s: Session, memberId: number, body: Record<string, unknown>) => s.call("POST", `/api/v1/members/${memberId}/faces`, body);
  const events = () => h.rt.db.query("SELECT outcome, member_id AS memberId, value_hint AS hint FROM login_events ORDER BY id").all() as { outcome: string; memberId: number | null; hint: string | null }[];
  return { ...h, admin, third, enrol, events, token: t };
}

const RETRY_EN = { code: 0, message: "SUCCESS", result: { recognizing_faces: 0, login_control: { allow_login: 2, message: "Look at the camera again" } } };

describe("face_image end to end", () => {
  test("enrol one face from a photo, recognise a transformed crop of it as user_info with recognizing_faces 1", async () => {
    const h = await setup();
    const r = await h.enrol(h.admin, 1001, { image: dataUrl(await faceImage(alex, "crop")), consent: true });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ id: expect.any(Number) });
    for (const probe of [dataUrl(await faceImage(alex, "mirror")), dataUrl(await cameraFrame(alex), "image/jpeg"), Buffer.from(await faceImage(alex, "dark")).toString("base64")]) {
      const a = await h.third(probe);
      expect(a.status).toBe(200);
      expect(a.body.result.recognizing_faces).toBe(1);
      expect(a.body.result.user_info.uid).toBe(1001);
      expect(a.body.result.extend_data).toBe(`bd1|m=1001|sn=${XONE}|t=${NOW_S}`);
    }
    expect(h.events().map((e) => [e.outcome, e.memberId])).toEqual([["delivered", 1001], ["delivered", 1001], ["delivered", 1001]]);
    // Listed on the member, with the consent; the thumbnail is a 96 px JPEG; the image is stored nowhere.
    const list = (await h.admin.call("GET", "/api/v1/members/1001/faces")).body;
    expect(list).toEqual([{ id: r.body.id, memberId: 1001, source: "image", sourceDevice: null, consentBy: "admin", consentAt: h.clock.now(), createdAt: h.clock.now() }]);
    const thumb = await h.app.handle(new Request(`http://localhost/api/v1/members/1001/faces/${r.body.id}/thumbnail.jpg`, { headers: h.admin.headers }));
    expect(thumb.headers.get("content-type")).toBe("image/jpeg");
    expect(await new Bun.Image(new Uint8Array(await thumb.arrayBuffer())).metadata()).toEqual({ width: 96, height: 96, format: "jpeg" });
    const audit = (await h.admin.call("GET", "/api/v1/audit?action=face.enrol")).body.items[0];
    expect(audit.actor).toBe("admin");
    expect(JSON.stringify(audit)).not.toContain("descriptor");
  }, 60_000);

  test("different people are not recognised; the attempt is offered for 10 minutes and one click with consent enrols it", async () => {
    const h = await setup();
    expect((await h.enrol(h.admin, 1001, { image: dataUrl(await faceImage(alex)), consent: true })).status).toBe(201);
    for (const f of [bea, other]) expect((await h.third(dataUrl(await cameraFrame(f), "image/jpeg"))).body).toEqual(RETRY_EN);
    expect(h.events().map((e) => e.outcome)).toEqual(["unknown", "unknown"]);
    const recent = (await h.admin.call("GET", "/api/v1/faces/recent")).body;
    expect(recent).toHaveLength(2);
    expect(recent[0]).toMatchObject({ sn: XONE, outcome: "unknown" });
    const img = await h.app.handle(new Request(`http://localhost/api/v1/faces/recent/${recent[1].id}/thumbnail.jpg`, { headers: h.admin.headers }));
    expect(img.status).toBe(200);
    // Without consent: refused, naming the field.
    const no = await h.enrol(h.admin, 1002, { attemptId: recent[1].id });
    expect([no.status, no.body.error.field]).toEqual([422, "consent"]);
    const yes = await h.enrol(h.admin, 1002, { attemptId: recent[1].id, consent: true });
    expect(yes.status).toBe(201);
    expect((await h.admin.call("GET", "/api/v1/members/1002/faces")).body[0]).toMatchObject({ source: "device", sourceDevice: XONE });
    expect((await h.admin.call("GET", "/api/v1/faces/recent")).body).toHaveLength(1);
    const again = await h.third(dataUrl(await faceImage(bea, "mirror")));
    expect(again.body.result.user_info?.uid).toBe(1002);
    // Ten minutes later the other attempt is gone.
    h.clock.advance(10 * 60 * 1000 + 1);
    expect((await h.admin.call("GET", "/api/v1/faces/recent")).body).toEqual([]);
  }, 60_000);

  test("a photo with several faces: the largest one is used", async () => {
    const h = await setup();
    // Photo 1 has three people; each is enrolled as a different member, the largest face as 1001.
    const inPhoto = faces.filter((f) => f.photo === 1).sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
    expect(inPhoto.length).toBe(3);
    const ids = [1001, 1002, 1003];
    for (const [i, f] of inPhoto.entries()) expect((await h.enrol(h.admin, ids[i]!, { image: dataUrl(await faceImage(f)), consent: true })).status).toBe(201);
    const whole = await photoBytes(1);
    const r = await h.third(dataUrl(whole, "image/jpeg"));
    expect(r.body.result.user_info?.uid).toBe(1001);
  }, 60_000);

  test("no face: retry on the device; 422 naming image on enrolment", async () => {
    const h = await setup();
    const grey = writePng({ width: 320, height: 240, data: new Uint8Array(320 * 240 * 4).fill(128) });
    expect((await h.third(dataUrl(grey))).body).toEqual(RETRY_EN);
    const r = await h.enrol(h.admin, 1001, { image: dataUrl(grey), consent: true });
    expect([r.status, r.body.error.code, r.body.error.field]).toEqual([422, "no_face", "image"]);
    expect(h.events()[0]!.hint).toBe("face:no_face");
  }, 30_000);

  test("corrupt, truncated and non-image bodies get the retry answer, never a 5xx", async () => {
    const h = await setup();
    const jpeg = await cameraFrame(alex);
    const gif = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");
    const values: unknown[] = [
      dataUrl(jpeg.subarray(0, 600), "image/jpeg"), // truncated in the header
      dataUrl(jpeg.subarray(0, Math.floor(jpeg.length / 2)), "image/jpeg"), // truncated in the scan data
      dataUrl(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8, 9])), // PNG magic, garbage after
      dataUrl(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0, 0])),
      dataUrl(gif, "image/gif"),
      "data:image/png,not-base64",
      "hello there",
      "%%%%",
      Buffer.from("just some text, not an image").toString("base64"),
      "data:image/jpeg;base64," + "A".repeat(6 * 1024 * 1024), // over the 4 MB image limit, under the 8 MiB body limit
      12345,
    ];
    for (const v of values) {
      const r = await h.third(v);
      expect(r.status).toBe(200);
      expect(r.body.result.recognizing_faces).toBe(0);
      expect(r.body.result.login_control.allow_login).toBe(2);
    }
    expect((await h.third({ nested: true })).status).toBeLessThan(500);
    // (The JPEG cut in its scan data still decodes, grey below the cut, with the face: it may enrol.)
    for (const v of values.slice(0, 10).filter((_, i) => i !== 1)) {
      const r = await h.enrol(h.admin, 1001, { image: v, consent: true });
      expect(r.status === 422 || r.status === 413).toBe(true);
    }
  }, 60_000);

  test("an ambiguous pair asks for a retry and picks nobody", async () => {
    const h = await setup();
    expect((await h.enrol(h.admin, 1001, { image: dataUrl(await faceImage(alex)), consent: true })).status).toBe(201);
    // The same person enrolled for another member is refused by the API ...
    const clash = await h.enrol(h.admin, 1002, { image: dataUrl(await faceImage(alex, "small")), consent: true });
    expect([clash.status, clash.body.error.code, clash.body.error.memberId]).toEqual([409, "face_matches_other_member", 1001]);
    // ... but twins (here: the same face written straight into the table) must not log either in.
    const svc = h.rt.face;
    const d = (await svc.analyse(dataUrl(await faceImage(alex, "small")))) as { kind: "face"; face: { descriptor: number[]; thumbnailJpeg: Uint8Array } };
    await h.rt.writes.enqueue(() => svc.repo.add({ memberId: 1002, descriptor: descriptorToBlob(d.face.descriptor), thumbnail: d.face.thumbnailJpeg, source: "image", sourceDevice: null, consentBy: "t", now: h.clock.now() }));
    expect((await h.third(dataUrl(await faceImage(alex, "mirror")))).body).toEqual(RETRY_EN);
    expect(h.events().map((e) => [e.outcome, e.memberId])).toEqual([["ambiguous", null]]);
    expect(h.events()[0]!.hint).toMatch(/^face:ambiguous d=0\.\d+ next=0\.\d+$/);
  }, 60_000);

  test("member deleted → templates gone, no match; suspended → no match until reactivated", async () => {
    const h = await setup();
    // A member without measurements can be deleted.
    const m = (await h.admin.call("POST", "/api/v1/members", { name: "Face Person" })).body;
    expect((await h.enrol(h.admin, m.id, { image: dataUrl(await faceImage(alex)), consent: true })).status).toBe(201);
    const probe = dataUrl(await faceImage(alex, "mirror"));
    expect((await h.third(probe)).body.result.user_info.uid).toBe(m.id);
    expect((await h.admin.call("POST", `/api/v1/members/${m.id}/suspend`)).status).toBe(200);
    expect((await h.third(probe)).body).toEqual(RETRY_EN);
    expect((await h.admin.call("POST", `/api/v1/members/${m.id}/reactivate`)).status).toBe(200);
    expect((await h.third(probe)).body.result.user_info.uid).toBe(m.id);
    expect((await h.admin.call("DELETE", `/api/v1/members/${m.id}`)).status).toBe(200);
    expect((h.rt.db.query("SELECT COUNT(*) AS n FROM face_templates").get() as { n: number }).n).toBe(0);
    expect((await h.third(probe)).body).toEqual(RETRY_EN);
  }, 60_000);

  test("the Chinese device gets the Chinese retry message", async () => {
    const h = await setup({ locale: "zh-CN" });
    expect((await h.third("not an image")).body.result.login_control).toEqual({ allow_login: 2, message: "请正视摄像头重试" });
  });

  test("face login off (the default), or a device that is not approved: faceUnavailable, and no inference", async () => {
    const h = await setup({ enabled: false });
    const unavailable = { allow_login: 2, message: "Face login is not available. Please use your card or QR code." };
    expect((await h.third(dataUrl(await faceImage(alex)))).body.result).toEqual({ recognizing_faces: 0, login_control: unavailable });
    h.rt.settings.set("face.enabled", true, "t");
    // No token and no known device behind the address: not approved.
    expect((await h.third(dataUrl(await faceImage(alex)), {})).body.result.login_control).toEqual(unavailable);
    // A revoked device, even with a once-valid token.
    h.rt.db.run("UPDATE devices SET revoked = 1 WHERE device_key = ?", [XONE]);
    const r = await h.third(dataUrl(await faceImage(alex)));
    expect(r.status === 401 || r.body.result?.login_control?.message === unavailable.message).toBe(true);
    expect(h.events().every((e) => e.outcome === "face_unavailable")).toBe(true);
  }, 30_000);
});

describe("staff API rules", () => {
  test("consent missing or false → 422 naming consent; no image → 422 naming image; at most 5 templates", async () => {
    const h = await setup();
    const img = dataUrl(await faceImage(alex));
    for (const body of [{ image: img }, { image: img, consent: false }]) {
      const r = await h.enrol(h.admin, 1001, body);
      expect([r.status, r.body.error.code, r.body.error.field]).toEqual([422, "consent_required", "consent"]);
    }
    const none = await h.enrol(h.admin, 1001, { consent: true });
    expect([none.status, none.body.error.field]).toEqual([422, "image"]);
    expect((await h.enrol(h.admin, 999999, { image: img, consent: true })).status).toBe(404);
    const svc = h.rt.face;
    const d = (await svc.analyse(img)) as { kind: "face"; face: { descriptor: number[]; thumbnailJpeg: Uint8Array } };
    await h.rt.writes.enqueue(() => {
      for (let i = 0; i < 5; i++) svc.repo.add({ memberId: 1001, descriptor: descriptorToBlob(d.face.descriptor), thumbnail: d.face.thumbnailJpeg, source: "image", sourceDevice: null, consentBy: "t", now: 1 });
    });
    const sixth = await h.enrol(h.admin, 1001, { image: img, consent: true });
    expect([sixth.status, sixth.body.error.code]).toEqual([409, "face_limit"]);
    const id = (await h.admin.call("GET", "/api/v1/members/1001/faces")).body[0].id;
    expect((await h.admin.call("DELETE", `/api/v1/members/1001/faces/${id}`)).body).toEqual({ id, deleted: true });
    expect((await h.admin.call("DELETE", `/api/v1/members/1002/faces/${id}`)).status).toBe(404);
    expect((await h.admin.call("GET", "/api/v1/members/1001/faces")).body).toHaveLength(4);
  }, 30_000);

  test("admin turns face login off and deletes every template in one audited action; staff may not", async () => {
    const h = await setup();
    expect((await h.enrol(h.admin, 1001, { image: dataUrl(await faceImage(alex)), consent: true })).status).toBe(201);
    const staff = await signIn(h.rt, h.app, { role: "staff" });
    expect((await staff.call("POST", "/api/v1/faces/purge")).status).toBe(403);
    expect((await h.admin.call("POST", "/api/v1/faces/purge")).body).toEqual({ enabled: false, deleted: 1 });
    expect((await h.admin.call("GET", "/api/v1/faces/status")).body).toMatchObject({ enabled: false, templates: 0 });
    const a = (await h.admin.call("GET", "/api/v1/audit?action=face.purge")).body.items[0];
    expect(a).toMatchObject({ actor: "admin", action: "face.purge" });
    expect((await h.third(dataUrl(await faceImage(alex)))).body.result.login_control.message).toContain("not available");
  }, 30_000);

  test("the member CSV export never contains templates; no stored row or log line holds the image", async () => {
    const h = await setup();
    const image = dataUrl(await faceImage(alex));
    expect((await h.enrol(h.admin, 1001, { image, consent: true })).status).toBe(201);
    await h.third(dataUrl(await cameraFrame(bea), "image/jpeg"));
    const csv = (await h.admin.call("GET", "/api/v1/members/export.csv")).text;
    expect(csv.split("\n")[0]).not.toMatch(/face|descriptor|thumbnail/i);
    // One short line per member: nothing of a 512-byte descriptor or a thumbnail in it.
    expect(Math.max(...csv.split("\n").map((l) => l.length))).toBeLessThan(400);
    const needle = image.slice(200, 260);
    expect(everyStoredText(h.rt.db).some((v) => v.includes(needle))).toBe(false);
    expect(h.log.lines.some((l) => JSON.stringify(l).includes(needle))).toBe(false);
    const capture = h.rt.db.query("SELECT body_text AS body FROM captures WHERE body_text LIKE '%face_image%'").all() as { body: string }[];
    expect(capture.length).toBeGreaterThan(0);
    for (const c of capture) expect(c.body).toMatch(/\[face image, \d+ bytes, not stored\]/);
  }, 30_000);
});

describe("OpenAPI", () => {
  test("the face routes are described in English and Chinese", async () => {
    const h = await setup();
    const doc = (await h.admin.call("GET", "/api/docs/openapi.json")).body;
    const post = doc.paths["/api/v1/members/{id}/faces"].post;
    expect(post.summary).toContain("consent");
    expect(post.summary).toContain("同意");
    expect(post.description).toContain("422");
    expect(post.description).toContain("从不保存原图");
    expect(doc.paths["/api/v1/faces/purge"].post.summary).toContain("删除全部人脸模板");
    expect(doc.tags.find((t: { name: string }) => t.name === "faces").description).toContain("No liveness check");
  });
});

describe("it never slows the other devices", () => {
  test("concurrent face requests while XONE pollers run: polls stay fast, faces are answered right", async () => {
    const h = await setup();
    expect((await h.enrol(h.admin, 1001, { image: dataUrl(await faceImage(alex)), consent: true })).status).toBe(201);
    const probes = [dataUrl(await faceImage(alex, "mirror")), dataUrl(await cameraFrame(bea), "image/jpeg"), dataUrl(await faceImage(alex, "dark"))];
    await faceWorker().ready; // warm
    let facesDone = false;
    const pollLatencies: number[] = [];
    const poller = async (sn: string) => {
      while (!facesDone) {
        const t0 = performance.now();
        const res = await h.app.handle(new Request("http://localhost/youjiu/third_user", { method: "POST", body: JSON.stringify({ type: "f-push", value: sn }) }));
        expect(((await res.json()) as any).result).toEqual({ waiting: 1 });
        pollLatencies.push(performance.now() - t0);
        await Bun.sleep(5);
      }
    };
    const pollers = Array.from({ length: 20 }, (_, i) => poller(`POLL${i}`));
    const answers = await Promise.all(probes.map((p) => h.third(p)));
    facesDone = true;
    await Promise.all(pollers);
    expect([answers.map((a) => a.body.result.user_info?.uid ?? 0), h.events().map((e) => e.hint)]).toEqual([[1001, 0, 1001], expect.anything()]);
    // Inference of one image takes hundreds of ms; on the main thread it would stall every poll that long.
    pollLatencies.sort((a, b) => a - b);
    expect(pollLatencies.length).toBeGreaterThan(40);
    expect(pollLatencies[Math.floor(pollLatencies.length * 0.99)]!).toBeLessThan(150);
  }, 60_000);
});

/** Scheduling policy of every thread of a process (/proc/<pid>/task/<tid>/stat field 41; 5 = SCHED_IDLE). */
function policies(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[38]);
  });
}
/** A process that still runs (not gone, not a zombie waiting to be reaped). */
function running(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

describe("the face worker process", () => {
  test.if(process.platform === "linux")("inference runs in a process of its own, every thread of it at SCHED_IDLE; the server's threads stay normal", async () => {
    const h = await setup();
    expect((await h.third(dataUrl(await cameraFrame(alex), "image/jpeg"))).status).toBe(200);
    const pid = faceWorker().pid;
    expect(pid).toEqual(expect.any(Number));
    expect(pid).not.toBe(process.pid);
    const worker = policies(pid!);
    expect(worker.length).toBeGreaterThan(3); // the runtime's JIT, GC and allocator threads are lowered with it
    expect(new Set(worker)).toEqual(new Set([5]));
    expect(policies(process.pid)[0]).toBe(0);
  }, 60_000);

  test("a worker that dies fails its request with the retry answer (never a 5xx); the next face starts a new one", async () => {
    const h = await setup();
    expect((await h.enrol(h.admin, 1001, { image: dataUrl(await faceImage(alex)), consent: true })).status).toBe(201);
    const w = faceWorker();
    const first = w.pid!;
    const pending = h.third(dataUrl(await cameraFrame(alex), "image/jpeg"));
    await until(() => w.queued > 0, "the face request reached the worker");
    process.kill(first, "SIGKILL");
    const r = await pending;
    expect([r.status, r.body]).toEqual([200, RETRY_EN]);
    expect(h.events().at(-1)!.hint).toBe("face:engine_failed");
    const again = await h.third(dataUrl(await cameraFrame(alex), "image/jpeg"));
    expect(again.body.result.user_info?.uid).toBe(1001);
    expect(w.pid).not.toBe(first);
  }, 60_000);

  test("the worker does not keep the server's process alive, and exits with it", async () => {
    // A process that starts the worker, waits for its models, prints its pid and ends on its own.
    const script = `
      import { faceWorker } from ${JSON.stringify(join(REPO_ROOT, "src/face/worker-client.ts"))};
      const w = faceWorker();
      w.describe(new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2])).catch(() => {});
      await w.ready;
      console.log(w.pid);
    `;
    const p = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "inherit" });
    const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
    expect(code).toBe(0);
    const pid = Number(out.trim());
    expect(pid).toBeGreaterThan(0);
    await until(() => !running(pid), "the face worker exited after its server", 10_000);
  }, 60_000);
});
