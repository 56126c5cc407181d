/**
 * Simulated devices for `bodydock simulate`: Lefu scales (V2 and Torre, 4- and
 * 8-electrode, offline bursts, duplicate re-uploads), Youjiu XONE devices
 * (push-login polling, card and QR logins) and a Yolanda WSP Mini relay
 * (JWT-signed users and measurements calls). Each speaks the vendor's wire
 * format as the device protocol spec describes it.
 */
import { SignJWT } from "jose";
import type { Stats } from "./stats.ts";

export interface SimContext {
  url: string;
  stats: Stats;
  rand: () => number;
  running: () => boolean;
  /** Weighings per scale per minute. */
  rate: number;
  ohms: boolean;
  dupRate: number;
  backlog: number;
}

async function send(ctx: SimContext, role: string, path: string, init: RequestInit): Promise<{ status: number; text: string } | null> {
  const t0 = performance.now();
  try {
    const res = await fetch(ctx.url + path, { ...init, signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    ctx.stats.record(role, performance.now() - t0, res.status);
    return { status: res.status, text };
  } catch {
    ctx.stats.record(role, performance.now() - t0, null);
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const json = (body: unknown): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** Waits about `ms`, waking early when the run ends. */
async function wait(ctx: SimContext, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (ctx.running() && Date.now() < end) await sleep(Math.min(250, end - Date.now()));
}

interface Person {
  memberid: string;
  userid: string;
  weight: number;
}

/** Plausible plain impedances (ohms): whole body ~ 400–650 Ω at 50 kHz; segments per spec order. */
function impedances(ctx: SimContext, eight: boolean, weight: number): string[] {
  const jitter = (v: number) => Math.round(v * (0.97 + ctx.rand() * 0.06));
  if (!ctx.ohms) return Array.from({ length: eight ? 10 : 1 }, () => String(Math.floor(ctx.rand() * 2 ** 31))); // encrypted-looking codes
  const k = 80 / weight;
  if (!eight) return [String(jitter(480 * k))];
  const seg = { arm: [320, 290], trunk: [26, 22], leg: [250, 225] };
  return [seg.arm, seg.arm, seg.trunk, seg.leg, seg.leg].flatMap(([z20, z100]) => [String(jitter(z20! * k)), String(jitter(z100! * k))]);
}

export async function lefuScale(ctx: SimContext, index: number, torre: boolean, eight: boolean): Promise<void> {
  const mac = `5A:1E:${(index >> 8).toString(16).padStart(2, "0")}:${(index & 255).toString(16).padStart(2, "0")}:00:01`.toUpperCase();
  const sn = torre ? mac.replace(/:/g, "") : `SIMLF${String(index).padStart(6, "0")}`;
  const role = torre ? "lefu-torre" : "lefu-v2";
  const base = torre ? "/lefu/wifi/torre" : "/lefu/wifi";
  const people: Person[] = Array.from({ length: 1 + Math.floor(ctx.rand() * 3) }, (_, i) => ({
    memberid: `sim-${sn}-${i}`,
    userid: `sim-account-${sn}`,
    weight: 55 + ctx.rand() * 45,
  }));
  await send(ctx, role, `${base}/register`, json({ sn, mac, type: torre ? "LEFU-CF577" : "CF516", wifiVersion: "1.0.0", firmwareVersion: "1.0.0", hardwareVersion: "S2", charge: "0.9", timezone: 0, wifiSsid: "SimNet", wifiPassword: "sim-wifi-password" }));
  await send(ctx, role, `${base}/config`, torre ? json({ sn, mac, type: "LEFU-CF577" }) : { method: "GET" });
  let ts = Math.floor(Date.now() / 1000) - 86400;
  let last: RequestInit | null = null;
  const period = 60_000 / Math.max(ctx.rate, 0.01);
  while (ctx.running()) {
    await wait(ctx, period * (0.5 + ctx.rand()));
    if (!ctx.running()) break;
    if (last && ctx.rand() < ctx.dupRate) {
      await send(ctx, role, `${base}/record`, last); // a re-upload after a lost answer
      continue;
    }
    // Now and then the scale was offline: a burst of stored history.
    const burst = ctx.backlog > 0 && ctx.rand() < 0.05 ? 1 + Math.floor(ctx.rand() * ctx.backlog) : 1;
    const readings = Array.from({ length: burst }, () => {
      const p = people[Math.floor(ctx.rand() * people.length)]!;
      p.weight += (ctx.rand() - 0.5) * 0.4;
      ts += 60 + Math.floor(ctx.rand() * 600);
      return { p, weight: Math.round(p.weight * 10) / 10, ts };
    });
    if (torre) {
      last = json({
        sn,
        mac,
        type: "LEFU-CF577",
        bat: (0.2 + ctx.rand() * 0.8).toFixed(2),
        scaleType: eight ? 5 : 0,
        list: readings.map((r) => ({ memberid: r.p.memberid, userid: r.p.userid, weight: r.weight, timestamp: r.ts, heartRate: 60 + Math.floor(ctx.rand() * 40), data: impedances(ctx, eight, r.weight).map((impedance) => ({ impedance })) })),
      });
      await send(ctx, role, `${base}/record`, last);
    } else {
      for (const [i, r] of readings.entries()) {
        last = json({ sn, mac, type: "CF516", charge: "0.8", weight: r.weight.toFixed(2), impedance: impedances(ctx, false, r.weight)[0], timestamp: String(r.ts * 1000), heartRate: 0, "Total index": String(readings.length), "Current index": String(i + 1) });
        await send(ctx, role, `${base}/record`, last);
      }
    }
  }
}

export async function xoneDevice(ctx: SimContext, index: number): Promise<void> {
  const sn = `77${String(index).padStart(11, "0")}`;
  // A new XONE keeps asking to join until staff open the pairing window (or autoActivate is on), as a real one does.
  let act = await send(ctx, "youjiu", "/youjiu/activate", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `sn=${sn}` });
  let told = false;
  while (ctx.running() && act?.status === 403 && act.text.includes("DEVICE_NOT_ALLOWED")) {
    if (!told && index === 0) console.error(`simulated XONE ${sn} is asking to join: open the pairing window on the Devices page (or set youjiu.autoActivate)`);
    told = true;
    await wait(ctx, 2000);
    act = await send(ctx, "youjiu", "/youjiu/activate", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `sn=${sn}` });
  }
  if (act?.status === 403 && act.text.includes("ALREADY_ACTIVATED") && index === 0) {
    console.error(`simulated XONE ${sn} was activated before and has lost its secret: reset its credentials on the Devices page`);
  }
  let token: string | null = null;
  try {
    const secret = (JSON.parse(act?.text ?? "{}") as { result?: { secret?: string } }).result?.secret;
    if (secret) {
      const t = await send(ctx, "youjiu", `/youjiu/tokens?sn=${sn}&secret=${encodeURIComponent(secret)}`, { method: "GET" });
      token = (JSON.parse(t?.text ?? "{}") as { result?: { token?: string } }).result?.token ?? null;
    }
  } catch {
    token = null;
  }
  const headers: Record<string, string> = { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) };
  await wait(ctx, ctx.rand() * 1000);
  while (ctx.running()) {
    const r = ctx.rand();
    if (r < 0.01) {
      await send(ctx, "youjiu", "/youjiu/third_user", { method: "POST", headers, body: JSON.stringify({ type: "card-ed", value: { card_no_dec: String(Math.floor(ctx.rand() * 2 ** 32)) }, scene: "meas-composition" }) });
    } else if (r < 0.02) {
      await send(ctx, "youjiu", "/youjiu/third_user", { method: "POST", headers, body: JSON.stringify({ type: "qr", value: crypto.randomUUID(), scene: "meas-composition" }) });
    } else {
      await send(ctx, "youjiu", "/youjiu/third_user", { method: "POST", headers, body: JSON.stringify({ type: "f-push", value: sn }) });
    }
    await wait(ctx, 1000);
  }
}

export async function yolandaRelay(ctx: SimContext, index: number, secret: string): Promise<void> {
  const key = new TextEncoder().encode(secret);
  const mac = `A8:48:FA:${(index >> 8).toString(16).padStart(2, "0")}:${(index & 255).toString(16).padStart(2, "0")}:99`.toUpperCase();
  const period = 60_000 / Math.max(ctx.rate, 0.01);
  while (ctx.running()) {
    await wait(ctx, period * (0.5 + ctx.rand()));
    if (!ctx.running()) break;
    const jwt = await new SignJWT({ appid: "wxsimulator", iss: "wsp-mini" }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt().sign(key);
    const auth = { authorization: `Bearer ${jwt}` };
    await send(ctx, "yolanda", `/wsp-mini/users?mac=${encodeURIComponent(mac)}`, { method: "GET", headers: auth });
    const weight = Math.round((55 + ctx.rand() * 45) * 10) / 10;
    const item = {
      user_index: 1 + Math.floor(ctx.rand() * 8),
      hmac: Buffer.from(crypto.getRandomValues(new Uint8Array(64))).toString("hex").toUpperCase(),
      timestamp: Math.floor(Date.now() / 1000),
      weight,
      heart_rate: 60 + Math.floor(ctx.rand() * 40),
      bmi: 22.1,
      bodyfat: 18.5,
      fat_free_weight: Math.round(weight * 0.815 * 10) / 10,
      subfat: 16.2,
      visfat: 6,
      water: 58.3,
      bmr: 1520,
      muscle: 45.1,
      sinew: 48.2,
      bone: 2.9,
      protein: 18.1,
      score: 86,
      bodyage: 30,
      body_shape: 5,
      cardiac_index: 3.1,
      definite_flag: ctx.rand() > 0.1,
    };
    await send(ctx, "yolanda", "/wsp-mini/measurements", { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ mac, measurements: [item] }) });
  }
}
