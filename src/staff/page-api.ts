/**
 * Staff API for what the front desk and the owner need from the page (issue 16):
 *   GET    /api/v1/measurements/export.csv ?from&to&memberId&tz   measurements for Excel (UTF-8 with BOM)
 *   GET    /api/v1/members/:id/compare                             a member's first and latest measurement
 *   GET    /api/v1/box                                             this box's LAN addresses (a new gym's first steps)
 *   GET    /api/v1/gym                                             the gym's name and whether it has a logo
 *   PUT    /api/v1/gym {name}                                      (admin) the name on the sheets
 *   PUT    /api/v1/gym/logo  (PNG or JPEG bytes, ≤ 512 KB)         (admin) the logo on the sheets
 *   DELETE /api/v1/gym/logo                                        (admin)
 *   GET    /api/v1/gym/logo                                        the logo image
 */
import { Elysia, t } from "elysia";
import { networkInterfaces } from "node:os";
import type { Deps } from "../deps.ts";
import { AppError } from "../http/errors.ts";
import { MembersRepo } from "../store/members-repo.ts";
import { PageRepo, type NamedMeasurementRow } from "../store/page-repo.ts";
import { actor, type StaffGuard } from "./guard.ts";
import { spreadsheetSafe, toCsv } from "./member-csv.ts";
import { measurementView } from "./web-support.ts";

export const LOGO_MAX_BYTES = 512 * 1024;
const EXPORT_MAX_ROWS = 200_000;

/** The report fields the export has, in this order, with their column names (unit in the name, for Excel). */
const REPORT_COLUMNS: Array<[string, string]> = [
  ["bmi", "bmi"],
  ["bodyfat", "bodyFatPercent"],
  ["fat_weight", "fatMassKg"],
  ["sinew", "muscleMassKg"],
  ["muscle", "musclePercent"],
  ["visfat", "visceralFat"],
  ["water", "waterPercent"],
  ["protein", "proteinPercent"],
  ["bone", "boneMassKg"],
  ["bmr", "bmrKcal"],
  ["bodyage", "bodyAge"],
  ["score", "score"],
];

/** "YYYY-MM-DD HH:MM" at a UTC offset (minutes east), which Excel reads as a date and time. */
function localTime(ms: number, offsetMinutes: number): string {
  const d = new Date(ms + offsetMinutes * 60000);
  return d.toISOString().slice(0, 16).replace("T", " ");
}

export function measurementsCsv(rows: NamedMeasurementRow[], offsetMinutes: number): string {
  const head = ["memberNo", "name", "measuredAt", "weightKg", ...REPORT_COLUMNS.map((c) => c[1]), "heartRate", "device", "source"];
  const out: unknown[][] = [head];
  for (const r of rows) {
    const rep = r.indicators_json ? (JSON.parse(r.indicators_json) as Record<string, unknown>) : {};
    out.push([
      spreadsheetSafe(r.member_no),
      spreadsheetSafe(r.member_name),
      localTime(r.measured_at, offsetMinutes),
      r.weight_kg,
      ...REPORT_COLUMNS.map(([k]) => (typeof rep[k] === "number" ? rep[k] : "")),
      r.heart_rate ?? "",
      spreadsheetSafe(r.device_name ?? r.device_model ?? ""),
      r.source,
    ]);
  }
  return "\ufeff" + toCsv(out);
}

function imageType(b: Uint8Array): "image/png" | "image/jpeg" | null {
  if (b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "image/png";
  if (b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  return null;
}

export const pageApi = (deps: Deps, guard: StaffGuard) => {
  const repo = deps.repos.page;
  const members = deps.repos.members;
  const audit = deps.repos.audit;
  const gymView = () => {
    const g = repo.gym();
    return { name: g.name, hasLogo: g.logoBytes > 0, logoVersion: g.updatedAt };
  };
  return new Elysia({ name: "staff-page", prefix: "/api/v1" })
    .use(guard)
    .get(
      "/measurements/export.csv",
      ({ query, set }) => {
        if (query.memberId !== undefined && !members.get(query.memberId)) throw new AppError(404, "not_found", `member ${query.memberId} does not exist`);
        const from = query.from ?? 0;
        const to = query.to ?? 8.64e15;
        const rows = repo.forExport(from, to, query.memberId ?? null, EXPORT_MAX_ROWS);
        const offset = query.tz ?? -new Date(deps.now()).getTimezoneOffset();
        const who = query.memberId !== undefined ? members.get(query.memberId) : null;
        const name = `bodydock-measurements${who ? `-${who.memberNo ?? who.id}` : ""}-${new Date(deps.now()).toISOString().slice(0, 10)}.csv`;
        set.headers["content-type"] = "text/csv; charset=utf-8";
        set.headers["content-disposition"] = `attachment; filename="${name.replace(/[^\w.-]/g, "_")}"`;
        set.headers["cache-control"] = "no-store";
        return measurementsCsv(rows, offset);
      },
      {
        query: t.Object({
          from: t.Optional(t.Number({ description: "epoch ms, inclusive (default: the beginning)" })),
          to: t.Optional(t.Number({ description: "epoch ms, exclusive (default: no end)" })),
          memberId: t.Optional(t.Integer({ minimum: 1, description: "one member's only" })),
          tz: t.Optional(t.Integer({ minimum: -840, maximum: 840, description: "UTC offset in minutes for the times (default: the box's)" })),
        }),
        detail: {
          summary: "Assigned measurements as CSV for Excel (UTF-8 with BOM), oldest first",
          description: "One row a measurement: member number and name, time, weight, the main report figures, heart rate, device name and source.",
          tags: ["measurements"],
          responses: { 200: { description: "CSV", content: { "text/csv": { schema: { type: "string" } } } } },
        },
      },
    )
    .get(
      "/members/:id/compare",
      ({ params }) => {
        const member = members.get(params.id);
        if (!member) throw new AppError(404, "not_found", `member ${params.id} does not exist`);
        const { first, latest } = repo.firstAndLatest(params.id);
        return { member, first: first ? measurementView(first) : null, latest: latest ? measurementView(latest) : null };
      },
      { params: t.Object({ id: t.Integer({ minimum: 1 }) }), detail: { summary: "A member's first and latest measurement (the comparison sheet)", tags: ["measurements"] } },
    )
    .get(
      "/box",
      () => ({
        addresses: Object.values(networkInterfaces())
          .flat()
          .filter((a) => a && !a.internal && a.family === "IPv4")
          .map((a) => a!.address),
      }),
      {
        response: t.Object({ addresses: t.Array(t.String()) }),
        detail: { summary: "This box's LAN addresses (for the devices' server setting; the page adds its port)", tags: ["gym"] },
      },
    )
    .get("/gym", () => gymView(), {
      response: t.Object({ name: t.Union([t.String(), t.Null()]), hasLogo: t.Boolean(), logoVersion: t.Integer() }),
      detail: { summary: "The gym's name and whether it has a logo (they head the sheets)", tags: ["gym"] },
    })
    .put(
      "/gym",
      async (ctx) => {
        const name = ctx.body.name?.trim() || null;
        await deps.writes.enqueue(() => {
          const before = repo.gym().name;
          repo.setName(name, deps.now());
          if (before !== name) audit.record(actor(ctx), "gym.update", "gym", "1", { name: before }, { name });
        });
        return gymView();
      },
      {
        admin: true,
        body: t.Object({ name: t.Union([t.String({ maxLength: 100 }), t.Null()]) }, { additionalProperties: false }),
        detail: { summary: "Set the gym's name (admin)", tags: ["gym"] },
      },
    )
    .put(
      "/gym/logo",
      async (ctx) => {
        const bytes = new Uint8Array(await ctx.request.arrayBuffer());
        const type = imageType(bytes);
        if (!type || bytes.length > LOGO_MAX_BYTES) throw new AppError(422, "bad_image", `the logo must be a PNG or JPEG image of at most ${LOGO_MAX_BYTES / 1024} KB`, { field: "logo" });
        await deps.writes.enqueue(() => {
          repo.setLogo(bytes, type, deps.now());
          audit.record(actor(ctx), "gym.update", "gym", "1", null, { logo: type, bytes: bytes.length });
        });
        return gymView();
      },
      {
        admin: true,
        parse: "none",
        detail: {
          summary: "Upload the gym's logo (admin): PNG or JPEG bytes, at most 512 KB, stored in the database",
          tags: ["gym"],
          requestBody: { required: true, content: { "image/png": { schema: { type: "string", format: "binary" } }, "image/jpeg": { schema: { type: "string", format: "binary" } } } },
        },
      },
    )
    .delete(
      "/gym/logo",
      async (ctx) => {
        await deps.writes.enqueue(() => {
          repo.setLogo(null, null, deps.now());
          audit.record(actor(ctx), "gym.update", "gym", "1", null, { logo: null });
        });
        return gymView();
      },
      { admin: true, detail: { summary: "Remove the gym's logo (admin)", tags: ["gym"] } },
    )
    .get(
      "/gym/logo",
      ({ set }) => {
        const l = repo.logo();
        if (!l) throw new AppError(404, "not_found", "no logo uploaded");
        return new Response(l.bytes as unknown as BodyInit, { headers: { "content-type": l.type, "cache-control": "private, max-age=300", "x-content-type-options": "nosniff" } });
      },
      { detail: { summary: "The gym's logo image", tags: ["gym"] } },
    );
};
