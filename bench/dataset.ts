/**
 * A realistic gym database, built through bodydock's own repositories (issue 18):
 *
 *   bun bench/dataset.ts [--members 5000] [--years 3] [--measurements N] [--out DIR] [--seed 1]
 *
 * - members with member numbers, cards and codes, Chinese and Latin names, phones, e-mails, birthdays,
 *   heights, reference weights; about 5 % suspended;
 * - 4 Lefu Torre scales (plain ohms, so full reports from the core), 2 Yolanda scales (slots, reports under
 *   Yolanda's names), 2 Youjiu XONE readers (a login event per identified visit);
 * - each member joins at some point of the period and stays a while; while a member, they weigh in about
 *   weekly at gym hours, their weight drifting slowly; a few "regulars" have 1,000 weighings (a member's page
 *   at size); `--measurements N` scales the visit rate to reach about N measurements;
 * - unattributed weighings (unlinked Lefu identities, Yolanda "uncertain"): the recent ones are open claims,
 *   older ones were discarded or assigned by staff;
 * - captures of device requests for the last `diagnostics.captureRetentionDays` (30) days only, and outbox
 *   events (webhooks) for the last `webhooks.retentionDays` (30), as retention leaves them; no free pages.
 *
 * The rows go in chronological order in big transactions (the write queue would make each batch a group
 * commit anyway); every row goes through a repository method (MembersRepo, DevicesRepo, MeasurementsRepo,
 * CapturesRepo, ClaimsRepo, YoujiuRepo, YolandaRepo). The clock is the real one: the newest data is today.
 * Prints what it built and how long it took. `buildDataset()` is also called by the other benches.
 */
import { mkdirSync, existsSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { lefuReport } from "../src/devices/lefu/report.ts";
import { memoryLogger } from "../src/log.ts";
import { openRuntime } from "../src/runtime.ts";
import { CapturesRepo } from "../src/store/captures-repo.ts";
import { ClaimsRepo } from "../src/store/claims-repo.ts";
import { dbPath } from "../src/store/db.ts";
import { DevicesRepo } from "../src/store/devices-repo.ts";
import { MeasurementsRepo, type NewMeasurement } from "../src/store/measurements-repo.ts";
import { MembersRepo, type MemberInput } from "../src/store/members-repo.ts";
import { YolandaRepo } from "../src/store/yolanda-repo.ts";
import { YoujiuRepo } from "../src/store/youjiu-repo.ts";

export interface DatasetOptions {
  members: number;
  years: number;
  /** Target number of measurements (about); default: weekly visits while a member. */
  measurements?: number;
  /** Members with 1,000 weighings each. */
  regulars?: number;
  dir: string;
  seed?: number;
  log?: boolean;
}

export interface DatasetResult {
  dir: string;
  members: number;
  measurements: number;
  openClaims: number;
  captures: number;
  seconds: number;
  bytes: number;
  /** A regular (1,000 weighings), for the member page benchmark. */
  regularId: number;
}

const DAY = 86_400_000;
const SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉梅建国建华志强海燕雪梅晓东思远子涵梓萱浩然欣怡宇轩雨桐一诺";
const FIRST = ["Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Iris", "Jack", "Kate", "Leo", "Mia", "Noah", "Olivia", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Xenia", "Yusuf", "Zoe", "José", "Zoë", "Søren", "Łukasz"];
const LAST = ["Smith", "Müller", "García", "Rossi", "Dubois", "Nguyen", "Kim", "Tanaka", "Silva", "Novak", "O'Brien", "Jensen", "Kowalski", "Andersson", "Papadopoulos", "van Dijk", "Schmidt", "Brown", "Lopez", "Wang"];

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

interface Person {
  id: number;
  sex: "male" | "female";
  heightCm: number;
  birthday: string;
  weight: number;
  lefuMemberid: string;
  slot: { mac: string; index: number } | null;
  card: string | null;
  from: number;
  to: number;
}

interface Visit {
  t: number;
  p: number; // index into people; -1 for a stranger
  kind: 0 | 1; // 0 Lefu, 1 Yolanda
  unattributed: boolean;
}

export async function buildDataset(o: DatasetOptions): Promise<DatasetResult> {
  const t0 = performance.now();
  const rand = rng(o.seed ?? 1);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const say = (s: string) => o.log !== false && console.log(s);
  if (existsSync(o.dir)) rmSync(o.dir, { recursive: true, force: true });
  mkdirSync(o.dir, { recursive: true });
  const end = Date.now();
  const start = end - Math.round(o.years * 365 * DAY);
  const rt = openRuntime({ port: 0, host: "127.0.0.1", dataDir: o.dir, logLevel: "warn", bodyLimit: 1024 * 1024, bodyTimeout: 30 }, { log: memoryLogger("warn"), env: {} });
  const db = rt.db;
  const { members, devices, measurements, captures, claims, youjiu, yolanda } = rt.repos;
  const tx = (fn: () => void) => db.transaction(fn)();
  const retentionDays = rt.settings.get("diagnostics.captureRetentionDays");
  const outbox = rt.repos.outbox;
  const outboxDays = rt.settings.get("webhooks.retentionDays");

  // ---- devices ----
  const lefuScales = Array.from({ length: 4 }, (_, i) => `CFE80508${String(i + 1).padStart(4, "0")}`);
  const yolandaMacs = ["A8:48:FA:35:14:56", "A8:48:FA:35:14:57"];
  const xones = ["XONE-0001", "XONE-0002"];
  const lefuDev: Array<{ id: number; sn: string }> = [];
  const yolDev: Array<{ id: number; mac: string }> = [];
  tx(() => {
    for (const sn of lefuScales) {
      const d = devices.seen({ vendor: "lefu", deviceKey: sn, family: "torre", sn, mac: sn.replace(/(..)(?!$)/g, "$1:"), model: "LEFU-CF577", approveNew: true }, start);
      devices.setImpedanceMode(d.id, "ohms");
      lefuDev.push({ id: d.id, sn });
    }
    for (const mac of yolandaMacs) yolDev.push({ id: devices.seen({ vendor: "yolanda", deviceKey: mac, family: "wsp-mini", mac, approveNew: true }, start).id, mac });
    for (const sn of xones) devices.seen({ vendor: "youjiu", deviceKey: sn, sn, family: "xone", keepFamily: true, ip: "192.168.1.50", approveNew: true }, start);
  });

  // ---- members ----
  const people: Person[] = [];
  const regulars = o.regulars ?? 1;
  const usedSlots = new Set<string>();
  const slotQueue: Array<{ mac: string; index: number }> = [];
  for (const mac of yolandaMacs) for (let index = 1; index <= 8; index++) slotQueue.push({ mac, index });
  for (let chunk = 0; chunk < o.members; chunk += 5000) {
    tx(() => {
      for (let id = chunk + 1; id <= Math.min(o.members, chunk + 5000); id++) {
        const chinese = rand() < 0.6;
        const sex = rand() < 0.5 ? "male" : "female";
        const name = chinese
          ? pick([...SURNAMES]) + (rand() < 0.5 ? pick([...GIVEN]) : pick([...GIVEN]) + pick([...GIVEN]))
          : `${pick(FIRST)} ${pick(LAST)}`;
        const heightCm = Math.round((sex === "male" ? 160 + rand() * 30 : 150 + rand() * 28) * 10) / 10;
        const bmi = 19 + rand() * 11;
        const weight = Math.round(bmi * (heightCm / 100) ** 2 * 10) / 10;
        const year = 1950 + Math.floor(rand() * 58);
        const input: MemberInput = {
          memberNo: `M${String(id).padStart(6, "0")}`,
          name,
          nickname: rand() < 0.1 ? name.slice(0, 2) : null,
          phone: rand() < 0.9 ? `1${3 + Math.floor(rand() * 7)}${String(Math.floor(rand() * 1e9)).padStart(9, "0")}` : null,
          email: !chinese && rand() < 0.7 ? `${name.toLowerCase().replace(/[^a-z]+/g, ".")}.${id}@mail.example` : null,
          sex,
          birthday: `${year}-${String(1 + Math.floor(rand() * 12)).padStart(2, "0")}-${String(1 + Math.floor(rand() * 28)).padStart(2, "0")}`,
          heightCm,
          referenceWeightKg: rand() < 0.5 ? weight : null,
          goalWeightKg: rand() < 0.3 ? Math.round(weight * 0.93 * 10) / 10 : null,
          athlete: rand() < 0.05,
          avatarUrl: null,
          notes: rand() < 0.05 ? "prefers mornings" : null,
          extendData: null,
        };
        const joined = id <= regulars ? start : start - 0.5 * 365 * DAY + rand() * (end - start + 0.5 * 365 * DAY - 7 * DAY);
        const stays = id <= regulars ? end - start : -Math.log(1 - rand()) * 2 * 365 * DAY;
        members.create(input, Math.max(start, Math.floor(joined)), id);
        const card = rand() < 0.8 ? String(100000000 + id * 7919) : null;
        if (card) members.addCredential(id, "card", card, null, start);
        if (rand() < 0.3) members.addCredential(id, "code", `QR-${id.toString(36).toUpperCase()}-${Math.floor(rand() * 1e6)}`, null, start);
        if (rand() < 0.05) members.setStatus(id, "suspended", end);
        let slot: Person["slot"] = null;
        if (slotQueue.length && rand() < 0.3) {
          slot = slotQueue.shift()!;
          usedSlots.add(`${slot.mac}/${slot.index}`);
          yolanda.assign(slot.mac, slot.index, id, start, "dataset", rand);
        }
        people.push({
          id,
          sex,
          heightCm,
          birthday: input.birthday!,
          weight,
          lefuMemberid: `${id.toString(16).padStart(8, "0")}-2a35-4ca1-8427-${Math.floor(rand() * 2 ** 48).toString(16).padStart(12, "0")}`,
          slot,
          card,
          from: Math.max(start, joined),
          to: Math.min(end, joined + stays),
        });
      }
    });
  }

  // ---- visits ----
  let weeklyP = 0.75;
  const spanWeeks = people.reduce((n, p, i) => n + (i < regulars ? 0 : Math.max(0, (p.to - p.from) / (7 * DAY))), 0);
  if (o.measurements) weeklyP = Math.max(0.01, (o.measurements - regulars * 1000) / Math.max(1, spanWeeks) / 1.02);
  const visits: Visit[] = [];
  const gymHour = () => (7 + rand() * 14) * 3_600_000;
  for (let i = 0; i < people.length; i++) {
    const p = people[i]!;
    const kind: 0 | 1 = p.slot && rand() < 0.7 ? 1 : 0;
    if (i < regulars) {
      const step = (end - start) / 1000;
      for (let k = 0; k < 1000; k++) visits.push({ t: Math.floor(start + k * step + rand() * step * 0.5), p: i, kind, unattributed: false });
      continue;
    }
    const perWeek = weeklyP;
    for (let day = Math.floor(p.from / DAY) * DAY; day < p.to; day += 7 * DAY) {
      // More than once a week for some (weeklyP > 1 when --measurements asks for many).
      let n = Math.floor(perWeek) + (rand() < perWeek % 1 ? 1 : 0);
      while (n-- > 0) {
        const t = day + Math.floor(rand() * 7) * DAY + gymHour();
        if (t < end) visits.push({ t: Math.floor(t), p: i, kind, unattributed: rand() < 0.02 });
      }
    }
  }
  visits.sort((a, b) => a.t - b.t);
  say(`members ${people.length} in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${visits.length} weighings to write`);

  // ---- measurements, claims, captures, login events ----
  const linked = new Set<number>();
  const seenIdentity = new Set<number>();
  const captureFrom = end - retentionDays * DAY;
  const openFrom = end - 14 * DAY;
  const pendingOld: number[] = [];
  let written = 0;
  let capturesWritten = 0;
  const BATCH = 20_000;
  for (let b = 0; b < visits.length; b += BATCH) {
    tx(() => {
      for (const v of visits.slice(b, b + BATCH)) {
        const p = people[v.p]!;
        p.weight = Math.round(Math.min(200, Math.max(35, p.weight + (rand() - 0.52) * 0.6)) * 10) / 10;
        const receivedAt = v.t + Math.floor(rand() * 1500);
        const weightKg = p.weight;
        const heartRate = 60 + Math.floor(rand() * 30);
        const withCapture = receivedAt >= captureFrom;
        const measuredAt = Math.floor(v.t / 1000) * 1000;
        let row: NewMeasurement;
        let captureId: number | null = null;
        if (v.kind === 0) {
          const scale = lefuDev[v.p % lefuDev.length]!;
          const memberid = p.lefuMemberid;
          // Stable per member (segments of about the same ohms), slightly varying per weighing.
          const base = 0.9 + (p.id % 17) / 40;
          const z = [380, 340, 385, 345, 28, 25, 290, 260, 292, 262].map((x) => String(Math.round(x * base * (0.97 + rand() * 0.06))));
          if (withCapture) {
            const body = { bat: "0.8", list: [{ data: z.map((impedance) => ({ impedance })), heartRate, memberid, timestamp: measuredAt / 1000, userid: "u", weight: weightKg }], mac: "CF:E8:05:08:00:01", scaleType: 5, sn: scale.sn, type: "LEFU-CF577" };
            captureId = captures.insert({ receivedAt, remoteIp: "192.168.1.31", method: "POST", rawPath: "/lefu/wifi/torre/record", router: "lefu", routeKey: "torre.record", pathPrefix: "", headers: { "content-type": "application/json", host: "192.168.1.2:8080", "content-length": "420" }, bodyText: JSON.stringify(body), bodyBytes: 420, parseStatus: "ok", authResult: null, responseStatus: 200, responseBody: '{"code":200,"errorCode":0,"text":"success"}', deviceId: scale.id });
            capturesWritten++;
          }
          // An identity is linked by staff after its first weighing; `unattributed` ones never were (a guest, a new phone).
          const isLinked = !v.unattributed && (linked.has(p.id) || seenIdentity.has(p.id));
          const identityKey = v.unattributed ? `guest-${p.id}-${Math.floor(rand() * 1e9)}` : memberid;
          measurements.lefuIdentitySeen(identityKey, "u", scale.id, receivedAt);
          if (!v.unattributed && !isLinked) {
            claims.link(memberid, p.id);
            linked.add(p.id);
          }
          seenIdentity.add(p.id);
          const memberId = v.unattributed ? null : p.id;
          const report = lefuReport({ scaleType: 5, weightKg, heartRate, impedance: z, measuredAt }, memberId === null ? null : { id: p.id, sex: p.sex, birthday: p.birthday, heightCm: p.heightCm, athlete: false }, "ohms", "UTC");
          row = {
            idemKey: `lefu:${scale.sn}:${measuredAt / 1000}:${identityKey}`,
            source: "lefu-torre",
            deviceId: scale.id,
            memberId,
            status: memberId === null ? "unassigned" : "assigned",
            claimReason: memberId === null ? "unlinked_identity" : null,
            suggestedMemberId: null,
            groupKey: `lefu:${identityKey}`,
            candidates: null,
            measuredAt,
            deviceTsRaw: String(measuredAt / 1000),
            clockSuspect: false,
            receivedAt,
            weightKg,
            heartRate,
            impedance: z,
            scaleType: 5,
            eightElectrode: true,
            backlogTotal: null,
            backlogCurrent: null,
            rssi: -60,
            dataType: null,
            lefuMemberid: identityKey,
            lefuUserid: "u",
            captureId,
            rawItem: { weight: weightKg, timestamp: measuredAt / 1000, memberid: identityKey },
            indicators: report.indicators,
            indicatorsNote: report.note,
            indicatorsProfileMemberId: report.profileMemberId,
          };
        } else {
          const slot = p.slot!;
          const dev = yolDev.find((d) => d.mac === slot.mac)!;
          const bodyfat = Math.round((p.sex === "male" ? 18 : 27) + (rand() - 0.5) * 8);
          const indicators = {
            weight: weightKg, bmi: Math.round((weightKg / (p.heightCm / 100) ** 2) * 10) / 10, bodyfat, fat_free_weight: Math.round(weightKg * (1 - bodyfat / 100) * 10) / 10,
            subfat: bodyfat - 3, visfat: 6 + Math.floor(rand() * 6), water: 55 - bodyfat / 4, muscle: 70 - bodyfat, sinew: 45, bone: 2.8, protein: 17, bmr: Math.round(weightKg * 22), bodyage: 35, score: 80, body_shape: 5, heart_rate: heartRate, cardiac_index: 2.9,
          };
          if (withCapture) {
            captureId = captures.insert({ receivedAt, remoteIp: "192.168.1.40", method: "POST", rawPath: "/wsp-mini/measurements", router: "wsp-mini", routeKey: "measurements", pathPrefix: "", headers: { "content-type": "application/json", authorization: "[redacted]" }, bodyText: JSON.stringify({ mac: slot.mac, measurements: [{ user_index: slot.index, timestamp: measuredAt / 1000, ...indicators }] }), bodyBytes: 700, parseStatus: "ok", authResult: "ok", responseStatus: 200, responseBody: '{"code":20000}', deviceId: dev.id });
            capturesWritten++;
          }
          const memberId = v.unattributed ? null : p.id;
          row = {
            idemKey: `yolanda:${slot.mac}:${measuredAt / 1000}:${slot.index}`,
            source: "yolanda-mini",
            deviceId: dev.id,
            memberId,
            status: memberId === null ? "unassigned" : "assigned",
            claimReason: memberId === null ? "uncertain" : null,
            suggestedMemberId: memberId === null ? p.id : null,
            groupKey: `yolanda-slot:${slot.mac}:${slot.index}`,
            candidates: memberId === null ? [p.id] : null,
            measuredAt,
            deviceTsRaw: String(measuredAt / 1000),
            clockSuspect: false,
            receivedAt,
            weightKg,
            heartRate,
            impedance: null,
            scaleType: null,
            eightElectrode: false,
            backlogTotal: null,
            backlogCurrent: null,
            rssi: null,
            dataType: null,
            lefuMemberid: null,
            lefuUserid: null,
            captureId,
            rawItem: { user_index: slot.index, weight: weightKg },
            indicators,
            indicatorsNote: null,
            indicatorsProfileMemberId: memberId,
            resistance: 430 + Math.floor(rand() * 100),
            secResistance: 400 + Math.floor(rand() * 100),
            modelId: "0E2B",
            userIndex: slot.index,
            definiteFlag: memberId !== null,
          };
        }
        const id = measurements.insert(row);
        if (id === null) continue;
        written++;
        if (row.memberId === null && v.t < openFrom) pendingOld.push(id);
        // Half the identified visits start with a card tap or QR scan at a XONE reader.
        if (row.memberId !== null && p.card && rand() < 0.5) {
          youjiu.event({ at: receivedAt - 20_000, sn: xones[v.p % 2]!, remoteIp: "192.168.1.50", type: "f-card", scene: null, outcome: "delivered", memberId: p.id, extendData: null, valueHint: p.card.slice(-4) });
        }
      }
    });
    // The hourly outbox pruning of a running gym keeps webhooks.retentionDays (30) of events; freed pages are
    // reused by the next batch, as they would be.
    const upTo = visits[Math.min(visits.length, b + BATCH) - 1]!.t;
    tx(() => void outbox.prune(upTo - outboxDays * DAY));
    say(`  ${Math.min(visits.length, b + BATCH)} / ${visits.length} weighings, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  // Older claims were handled by staff: most discarded, some assigned to the member they suggested; a few stay open.
  tx(() => {
    for (const id of pendingOld) {
      const r = rand();
      if (r < 0.6) claims.discard(id, "staff", end);
      else if (r < 0.9) {
        const row = claims.byId(id)!;
        const member = row.suggested_member_id ?? 1;
        claims.assign(id, member, "staff", end, () => ({ indicators: null, note: "assigned by the dataset tool", profileMemberId: null }));
      }
    }
  });
  // The device rows say when each was last heard from.
  tx(() => {
    for (const d of lefuDev) devices.seen({ vendor: "lefu", deviceKey: d.sn, family: "torre", sn: d.sn, approveNew: true }, end);
  });
  const openClaims = claims.list("unassigned", 1, 0).total;
  // Events older than the retention, and the free pages left (a running gym gives them back: store/retention.ts).
  tx(() => void outbox.prune(end - outboxDays * DAY));
  db.query("PRAGMA incremental_vacuum").all();
  await rt.close();
  const file = dbPath(o.dir);
  const bytes = statSync(file).size;
  const seconds = (performance.now() - t0) / 1000;
  say(
    `dataset in ${o.dir}: ${people.length} members, ${written} measurements, ${openClaims} open claims, ${capturesWritten} captures (last ${retentionDays} days); ` +
      `${(bytes / 2 ** 20).toFixed(0)} MiB; ${seconds.toFixed(0)} s`,
  );
  return { dir: o.dir, members: people.length, measurements: written, openClaims, captures: capturesWritten, seconds, bytes, regularId: 1 };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      members: { type: "string", default: "5000" },
      years: { type: "string", default: "3" },
      measurements: { type: "string" },
      regulars: { type: "string", default: "1" },
      out: { type: "string" },
      seed: { type: "string", default: "1" },
    },
  });
  const membersN = Number(values.members);
  const years = Number(values.years);
  const dir = resolve(values.out ?? join(import.meta.dir, "..", ".bench-data", `gym-${membersN}m-${years}y${values.measurements ? `-${values.measurements}` : ""}`));
  await buildDataset({ members: membersN, years, measurements: values.measurements ? Number(values.measurements) : undefined, regulars: Number(values.regulars), dir, seed: Number(values.seed) });
}
