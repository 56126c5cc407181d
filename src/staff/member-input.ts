/**
 * The member fields staff write, as TypeBox schemas (the API validates with them
 * and the OpenAPI description is made from them), and the checks a schema cannot
 * express (a real calendar date, a blank name). The CSV import runs the same
 * schema and checks, so a row is refused for the same reasons the API would.
 */
import { t, type Static } from "elysia";
import { Value } from "@sinclair/typebox/value";
import { isIsoDate } from "../core/members.ts";
import { AppError } from "../http/errors.ts";
import type { MemberInput } from "../store/members-repo.ts";

const nullable = <T extends ReturnType<typeof t.String> | ReturnType<typeof t.Number>>(s: T) => t.Optional(t.Union([s, t.Null()]));

/** Sane ranges, wide enough for children and heavy athletes; devices narrow them further themselves. */
export const LIMITS = {
  heightCm: { minimum: 40, maximum: 250 },
  weightKg: { minimum: 2, maximum: 350 },
} as const;

export const MemberFieldSchemas = {
  memberNo: nullable(t.String({ maxLength: 64, description: "the gym's own member number; unique (case-insensitive)" })),
  name: t.String({ minLength: 1, maxLength: 100 }),
  nickname: nullable(t.String({ maxLength: 50 })),
  phone: nullable(t.String({ maxLength: 50, pattern: "^[0-9+()./ -]*$", description: "as entered; matching uses its digits" })),
  email: nullable(t.String({ maxLength: 254, pattern: "^$|^[^\\s@]+@[^\\s@]+$" })),
  sex: t.Optional(t.Union([t.Literal("male"), t.Literal("female"), t.Literal("unspecified")], { description: "body-composition sex" })),
  birthday: nullable(t.String({ pattern: "^$|^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description: "YYYY-MM-DD" })),
  heightCm: nullable(t.Number(LIMITS.heightCm)),
  referenceWeightKg: nullable(t.Number(LIMITS.weightKg)),
  goalWeightKg: nullable(t.Number(LIMITS.weightKg)),
  athlete: t.Optional(t.Boolean()),
  avatarUrl: nullable(t.String({ maxLength: 2000, pattern: "^$|^(https?://|/)", description: "http(s) URL or a path on this server" })),
  notes: nullable(t.String({ maxLength: 4000 })),
  extendData: nullable(t.String({ maxLength: 255, description: "free text for device integrations, at most 255 characters" })),
};

export const MemberCreate = t.Object(MemberFieldSchemas, { additionalProperties: false });
export const MemberPatch = t.Partial(t.Object(MemberFieldSchemas), { additionalProperties: false });
export type MemberCreateBody = Static<typeof MemberCreate>;
export type MemberPatchBody = Static<typeof MemberPatch>;

export const MemberView = t.Object({
  id: t.Integer({ description: "stable; devices see it as uid" }),
  memberNo: t.Union([t.String(), t.Null()]),
  name: t.String(),
  nickname: t.Union([t.String(), t.Null()]),
  phone: t.Union([t.String(), t.Null()]),
  email: t.Union([t.String(), t.Null()]),
  sex: t.Union([t.Literal("male"), t.Literal("female"), t.Literal("unspecified")]),
  birthday: t.Union([t.String(), t.Null()]),
  heightCm: t.Union([t.Number(), t.Null()]),
  referenceWeightKg: t.Union([t.Number(), t.Null()]),
  goalWeightKg: t.Union([t.Number(), t.Null()]),
  athlete: t.Boolean(),
  avatarUrl: t.Union([t.String(), t.Null()]),
  notes: t.Union([t.String(), t.Null()]),
  status: t.Union([t.Literal("active"), t.Literal("suspended")]),
  extendData: t.Union([t.String(), t.Null()]),
  createdAt: t.Integer({ description: "epoch ms" }),
  updatedAt: t.Integer({ description: "epoch ms" }),
});

export class FieldError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = "FieldError";
  }
}

const TEXT_FIELDS = ["memberNo", "nickname", "phone", "email", "birthday", "avatarUrl", "notes", "extendData"] as const;

/**
 * Trims text, turns blank optional text into null, lower-cases e-mail and checks
 * what the schema cannot. Throws FieldError naming the field. Keeps only keys present.
 */
export function cleanMember<T extends MemberPatchBody>(body: T, today: string): Partial<MemberInput> {
  const out: Partial<MemberInput> = {};
  if (body.name !== undefined) {
    const name = body.name.trim();
    if (name === "") throw new FieldError("name", "a name is required");
    out.name = name;
  }
  for (const f of TEXT_FIELDS) {
    const v = body[f];
    if (v === undefined) continue;
    // Notes keep inner line breaks; everything else is one trimmed line.
    const s = v === null ? "" : v.trim();
    (out as Record<string, unknown>)[f] = s === "" ? null : s;
  }
  if (out.email) out.email = out.email.toLowerCase();
  if (out.birthday) {
    if (!isIsoDate(out.birthday)) throw new FieldError("birthday", "not a real date (YYYY-MM-DD)");
    if (out.birthday > today) throw new FieldError("birthday", "is in the future");
    if (out.birthday < "1900-01-01") throw new FieldError("birthday", "is before 1900");
  }
  if (out.phone && !/\d/.test(out.phone)) throw new FieldError("phone", "has no digits");
  for (const f of ["sex", "heightCm", "referenceWeightKg", "goalWeightKg", "athlete"] as const) {
    if (body[f] !== undefined) (out as Record<string, unknown>)[f] = body[f];
  }
  return out;
}

/**
 * A transform hook refusing unknown body fields with a 422 naming the first one.
 * (Elysia's schema normalisation would otherwise drop them silently, so a typo such
 * as `heightcm` would look like a success.) Transform runs before validation.
 */
export function rejectUnknownFields(allowed: readonly string[]) {
  const known = new Set(allowed);
  return ({ body }: { body: unknown }) => {
    if (body === null || typeof body !== "object" || Array.isArray(body)) return;
    for (const k of Object.keys(body)) {
      if (!known.has(k)) throw new AppError(422, "validation_failed", `${k}: unknown field`, { field: k });
    }
  };
}

/** Defaults for what a new member leaves out. */
export function withDefaults(m: Partial<MemberInput> & { name: string }): MemberInput {
  return {
    memberNo: null,
    nickname: null,
    phone: null,
    email: null,
    sex: "unspecified",
    birthday: null,
    heightCm: null,
    referenceWeightKg: null,
    goalWeightKg: null,
    athlete: false,
    avatarUrl: null,
    notes: null,
    extendData: null,
    ...m,
  };
}

/** The first schema error of a value, as {field, message}; null when it conforms. */
export function schemaError(schema: typeof MemberCreate | typeof MemberPatch, value: unknown): { field: string; message: string } | null {
  for (const e of Value.Errors(schema, value)) {
    const field = e.path.replace(/^\//, "").split("/")[0] || "row";
    return { field, message: e.message };
  }
  return null;
}

/** Today's date (UTC) as YYYY-MM-DD, from the injected clock. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
