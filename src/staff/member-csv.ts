/**
 * Members as CSV (RFC 4180): export, and an import that validates every row
 * before writing anything.
 *
 * - Header names are the API field names (case-insensitive on import), plus
 *   `cards` and `codes` (several separated by ";"). `createdAt`/`updatedAt` are
 *   exported and ignored on import. Only the columns a file has are changed.
 * - Rows are matched by memberNo, else by id, else by the same name with the same
 *   phone or e-mail; anything else is created (with the file's id when it has one).
 * - Cards and codes are only added: a credential listed for a member is enrolled
 *   if missing; one another member holds is a bad row.
 * - With any bad row nothing is written, unless `partial`. The same file imported
 *   again finds everything equal and writes nothing.
 */
import { cardForms, codeNorm, phoneDigits } from "../core/members.ts";
import type { AuditRepo } from "../store/audit-repo.ts";
import { MEMBER_FIELDS, type Member, type MemberInput, type MembersRepo } from "../store/members-repo.ts";
import { FieldError, MemberFieldSchemas, MemberPatch, cleanMember, schemaError, withDefaults } from "./member-input.ts";

// ---- RFC 4180 ---------------------------------------------------------------------------------

export interface CsvRow {
  /** 1-based line number where the record starts. */
  line: number;
  cells: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
    /** csv_quote_inside | csv_text_after_quote | csv_unclosed, for the page's own words */
    readonly code = "csv_syntax",
  ) {
    super(message);
  }
}

/** Parses CSV text (a leading BOM is dropped; CRLF, LF or CR line ends; "" escapes inside quotes). */
export function parseCsv(input: string): CsvRow[] {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const rows: CsvRow[] = [];
  let line = 1;
  let rowLine = 1;
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  let wasQuoted = false;
  let i = 0;
  const endCell = () => {
    cells.push(cell);
    cell = "";
    wasQuoted = false;
  };
  const endRow = () => {
    endCell();
    rows.push({ line: rowLine, cells });
    cells = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      if (c === "\n" || (c === "\r" && text[i + 1] !== "\n")) line++;
      cell += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (cell.trim() !== "" || wasQuoted) throw new CsvSyntaxError(line, 'a quote (") inside an unquoted field; quote the whole field and double inner quotes', "csv_quote_inside");
      cell = "";
      quoted = true;
      wasQuoted = true;
      i++;
      continue;
    }
    if (c === ",") {
      endCell();
      i++;
      continue;
    }
    if (c === "\r" || c === "\n") {
      endRow();
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      line++;
      rowLine = line;
      continue;
    }
    if (wasQuoted && c !== " " && c !== "\t") throw new CsvSyntaxError(line, "text after a closing quote", "csv_text_after_quote");
    if (!wasQuoted) cell += c;
    i++;
  }
  if (quoted) throw new CsvSyntaxError(rowLine, "a quoted field is not closed", "csv_unclosed");
  if (cell !== "" || cells.length > 0 || wasQuoted) endRow();
  return rows;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: unknown[][]): string {
  return rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

// ---- export -----------------------------------------------------------------------------------

/** The API order, with status before extendData, then credentials and timestamps. */
export const EXPORT_COLUMNS = ["id", ...MEMBER_FIELDS.filter((f) => f !== "extendData"), "status", "extendData", "cards", "codes", "createdAt", "updatedAt"] as const;

function credentialCells(members: MembersRepo, id: number): { cards: string; codes: string } {
  const creds = members.credentials(id);
  return {
    cards: creds.filter((c) => c.kind === "card").map((c) => c.cardDec).join(";"),
    codes: creds.filter((c) => c.kind === "code").map((c) => c.code).join(";"),
  };
}

/**
 * Text that a spreadsheet would run as a formula (=, +, -, @ first) gets a leading
 * apostrophe, which spreadsheets show as text; the import takes it off again.
 */
const FORMULA = /^[=+\-@\t\r]/;
export function spreadsheetSafe(v: unknown): unknown {
  return typeof v === "string" && FORMULA.test(v) ? `'${v}` : v;
}
function unSpreadsheet(s: string): string {
  return s.startsWith("'") && FORMULA.test(s.slice(1)) ? s.slice(1) : s;
}

function exportRow(members: MembersRepo, m: Member): unknown[] {
  const c = credentialCells(members, m.id);
  return EXPORT_COLUMNS.map((col) => {
    if (col === "cards" || col === "codes") return c[col];
    if (col === "createdAt" || col === "updatedAt") return new Date(m[col]).toISOString();
    return spreadsheetSafe(m[col as keyof Member]);
  });
}

/** Every member, UTF-8 with a BOM (so spreadsheet programs read Chinese names right). */
export function exportCsv(members: MembersRepo): string {
  return "\ufeff" + toCsv([[...EXPORT_COLUMNS], ...members.all().map((m) => exportRow(members, m))]);
}

/** Members per chunk of the streamed export. */
export const EXPORT_PAGE = 500;

/**
 * The same CSV as exportCsv, streamed (issue 18): one page of members (by id) per chunk, read when the
 * client is ready for it, so memory stays flat however many members there are.
 */
export function exportCsvStream(members: MembersRepo): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let after = 0;
  let started = false;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (!started) {
          started = true;
          controller.enqueue(enc.encode("\ufeff" + toCsv([[...EXPORT_COLUMNS]])));
        }
        const page = members.page(after, EXPORT_PAGE);
        if (page.length === 0) {
          controller.close();
          return;
        }
        after = page[page.length - 1]!.id;
        controller.enqueue(enc.encode(toCsv(page.map((m) => exportRow(members, m)))));
      },
    },
    { highWaterMark: 1 },
  );
}

// ---- import -----------------------------------------------------------------------------------

/**
 * One problem of one row. `code` and `params` let the page say it in its own language;
 * `message` is the English sentence. `name` and `memberNo` are the row's own (as the file has
 * them), so staff see whom a problem is about.
 */
export interface RowError {
  line: number;
  field: string;
  code: string;
  params: Record<string, string | number>;
  message: string;
  name: string | null;
  memberNo: string | null;
}

export interface ImportResult {
  /** Whether anything was written (false for a dry run, or when bad rows stopped the import). */
  written: boolean;
  dryRun: boolean;
  partial: boolean;
  /** The file's text encoding, and whether it was detected (false: the caller chose it). */
  encoding: string;
  encodingDetected: boolean;
  /** Characters that could not be read in that encoding (a sign of the wrong one). */
  unreadable: number;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Bad rows left out (partial imports), or that stopped the import. */
  rejected: number;
  /** Every problem of every bad row (a row can have several). */
  errors: RowError[];
}

export interface ImportOptions {
  members: MembersRepo;
  audit: AuditRepo;
  actor: string;
  now: number;
  today: string;
  partial: boolean;
  dryRun: boolean;
  /** Audit action prefix of each written member: "member.import" (CSV, the default) or "member.sync" (the sync API). */
  action?: "member.import" | "member.sync";
  encoding?: string;
  encodingDetected?: boolean;
  unreadable?: number;
}

const NUMBER_FIELDS = new Set(["heightCm", "referenceWeightKg", "goalWeightKg"]);
/** Header names: the export's, and the Chinese ones a gym's own spreadsheet tends to have. */
const ALIASES: Record<string, string> = {
  姓名: "name",
  名字: "name",
  会员号: "memberNo",
  会员编号: "memberNo",
  会员卡号: "cards",
  卡号: "cards",
  昵称: "nickname",
  手机: "phone",
  手机号: "phone",
  手机号码: "phone",
  电话: "phone",
  邮箱: "email",
  电子邮件: "email",
  性别: "sex",
  生日: "birthday",
  出生日期: "birthday",
  身高: "heightCm",
  "身高(cm)": "heightCm",
  "身高（cm）": "heightCm",
  备注: "notes",
  状态: "status",
};
const KNOWN = new Map<string, string>([...[...EXPORT_COLUMNS].map((c) => [c.toLowerCase(), c] as [string, string]), ...Object.entries(ALIASES)]);
const IGNORED = new Set(["createdAt", "updatedAt"]);
const SEX: Record<string, string> = { 男: "male", 女: "female", m: "male", f: "female", 未知: "unspecified" };
const STATUS: Record<string, "active" | "suspended"> = { active: "active", suspended: "suspended", 正常: "active", 有效: "active", 停用: "suspended", 禁用: "suspended" };

export type Plan =
  | { line: number; op: "create"; id: number | null; input: MemberInput; status: "active" | "suspended" | undefined; cards: string[]; codes: string[] }
  | { line: number; op: "update"; before: Member; patch: Partial<MemberInput>; status: "active" | "suspended" | undefined; cards: string[]; codes: string[] }
  | { line: number; op: "unchanged"; id: number };

function splitList(s: string): string[] {
  return s
    .split(/[;；]/)
    .map((x) => x.trim())
    .filter((x) => x !== "");
}

function bool(s: string): boolean | null {
  const v = s.trim().toLowerCase();
  if (["true", "1", "yes", "y", "是"].includes(v)) return true;
  if (["false", "0", "no", "n", "否", ""].includes(v)) return false;
  return null;
}

export class RowFail extends Error {
  constructor(
    readonly field: string,
    message: string,
    /** The problem's code (card_taken, bad_date, …): the sync API answers a conflict with 409. */
    readonly code = "bad_format",
  ) {
    super(message);
  }
  get conflict(): boolean {
    return ["card_taken", "code_taken", "member_no_taken", "id_mismatch", "ambiguous_contact", "twice_in_file"].includes(this.code);
  }
}

/** Excel writes dates its own way (1990/4/1 on Chinese Windows): YYYY/M/D, YYYY.M.D, YYYY-M-D become YYYY-MM-DD. */
function excelDate(v: string): string {
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(v.trim());
  return m ? `${m[1]}-${m[2]!.padStart(2, "0")}-${m[3]!.padStart(2, "0")}` : v;
}

/** A member as a message names them: name and member number, never the internal id. */
export function who(m: { name: string; memberNo: string | null }): string {
  return m.memberNo ? `${m.name} (${m.memberNo})` : m.name;
}

class Problem {
  constructor(
    readonly field: string,
    readonly code: string,
    readonly params: Record<string, string | number>,
    readonly message: string,
  ) {}
}

/** The schema's complaint about one field, as a problem with a code the page can translate. */
function schemaProblem(field: string, value: unknown): Problem | null {
  const e = schemaError(MemberPatch, { [field]: value });
  if (!e) return null;
  const lim = (MemberFieldSchemas as Record<string, unknown>)[field] as { anyOf?: Array<{ maxLength?: number; minimum?: number; maximum?: number }>; maxLength?: number };
  const inner = lim?.anyOf?.[0] ?? (lim as { maxLength?: number; minimum?: number; maximum?: number });
  if (typeof value === "string" && inner?.maxLength !== undefined && value.length > inner.maxLength) return new Problem(field, "too_long", { max: inner.maxLength }, `longer than ${inner.maxLength} characters`);
  if (typeof value === "number" && inner?.minimum !== undefined) return new Problem(field, "out_of_range", { min: inner.minimum, max: inner.maximum ?? "" }, `must be between ${inner.minimum} and ${inner.maximum}`);
  if (field === "sex") return new Problem(field, "bad_sex", { value: String(value) }, `must be male, female or unspecified (男/女), not ${String(value)}`);
  if (field === "name" && value === "") return new Problem(field, "name_required", {}, "a name is required");
  return new Problem(field, "bad_format", { value: String(value) }, e.message);
}

const FIELD_CODES: Record<string, string> = {
  "a name is required": "name_required",
  "not a real date (YYYY-MM-DD)": "bad_date",
  "is in the future": "future_date",
  "is before 1900": "date_before_1900",
  "has no digits": "no_digits",
};

/** One typed field through the API's schema and checks (CSV rows and sync records alike): into `clean`, or a problem. */
function checkField(f: string, value: unknown, today: string, clean: Partial<MemberInput>, problems: Problem[]): void {
  const bad = schemaProblem(f, value);
  if (bad) {
    problems.push(bad);
    return;
  }
  try {
    Object.assign(clean, cleanMember({ [f]: value }, today));
  } catch (e) {
    if (!(e instanceof FieldError)) throw e;
    problems.push(new Problem(e.field, FIELD_CODES[e.reason] ?? "bad_format", { value: String(value) }, e.reason));
  }
}

export function importCsv(text: string, o: ImportOptions): ImportResult {
  const result: ImportResult = {
    written: false,
    dryRun: o.dryRun,
    partial: o.partial,
    encoding: o.encoding ?? "utf-8",
    encodingDetected: o.encodingDetected ?? true,
    unreadable: o.unreadable ?? 0,
    rows: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    errors: [],
  };
  const fileError = (line: number, field: string, code: string, params: Record<string, string | number>, message: string) =>
    result.errors.push({ line, field, code, params, message, name: null, memberNo: null });
  let rows: CsvRow[];
  try {
    rows = parseCsv(text);
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    fileError(e.line, "file", e.code, {}, e.message);
    return result;
  }
  const header = rows.shift();
  if (!header || header.cells.every((c) => c.trim() === "")) {
    fileError(1, "file", "empty_file", {}, "the file is empty: it needs a header row (e.g. memberNo,name,phone)");
    return result;
  }
  const columns: string[] = [];
  for (const raw of header.cells) {
    const key = raw.trim().replace(/^\ufeff/, "");
    const name = KNOWN.get(key.toLowerCase()) ?? KNOWN.get(key);
    if (!name) {
      fileError(header.line, key || "(blank)", "unknown_column", { column: key || "(blank)", known: EXPORT_COLUMNS.join(", ") }, `unknown column; known columns are ${EXPORT_COLUMNS.join(", ")}`);
    } else if (columns.includes(name)) {
      fileError(header.line, name, "duplicate_column", { column: name }, "this column appears twice");
    }
    columns.push(name ?? "");
  }
  if (result.errors.length) return result;

  const seen = newSeen();
  const plans: Plan[] = [];

  for (const row of rows) {
    if (row.cells.every((c) => c.trim() === "")) continue;
    result.rows++;
    const problems: Problem[] = [];
    const plan = planRow(row, columns, o, seen, problems);
    if (problems.length) {
      const cell = (col: string) => {
        const i = columns.indexOf(col);
        const v = i >= 0 ? (row.cells[i] ?? "").trim() : "";
        return v === "" ? null : v;
      };
      for (const p of problems) result.errors.push({ line: row.line, field: p.field, code: p.code, params: p.params, message: p.message, name: cell("name"), memberNo: cell("memberNo") });
      result.rejected++;
    } else if (plan) plans.push(plan);
  }
  for (const p of plans) result[p.op === "create" ? "created" : p.op === "update" ? "updated" : "unchanged"]++;
  if (o.dryRun || (result.errors.length && !o.partial)) return result;

  for (const p of plans) apply(p, o);
  result.written = plans.some((p) => p.op !== "unchanged");
  if (result.written || result.errors.length) {
    o.audit.record(o.actor, "member.import", "member", null, null, {
      rows: result.rows,
      created: result.created,
      updated: result.updated,
      unchanged: result.unchanged,
      rejected: result.rejected,
    });
  }
  return result;
}

/** What earlier rows of one file (or one sync batch) already named: the same thing twice is a bad row. */
export type Seen = Record<"memberNo" | "card" | "code" | "contact", Map<string, number>> & Record<"id" | "member", Map<number, number>>;
export function newSeen(): Seen {
  return { memberNo: new Map(), id: new Map(), card: new Map(), code: new Map(), member: new Map(), contact: new Map() };
}

/** The plan for one row, or null; every problem found is pushed (a row is checked to the end). */
function planRow(row: CsvRow, columns: string[], o: ImportOptions, seen: Seen, problems: Problem[]): Plan | null {
  const fail = (field: string, code: string, params: Record<string, string | number>, message: string) => problems.push(new Problem(field, code, params, message));
  if (row.cells.length > columns.length && row.cells.slice(columns.length).some((c) => c.trim() !== "")) {
    fail("row", "too_many_fields", { fields: row.cells.length, columns: columns.length }, `has ${row.cells.length} fields but the header has ${columns.length}`);
  }
  const raw: Record<string, string> = {};
  columns.forEach((c, i) => {
    if (!IGNORED.has(c)) raw[c] = unSpreadsheet((row.cells[i] ?? "").trim());
  });

  // Text to typed values, then the API's own schema and checks, field by field (so every problem is found).
  const clean: Partial<MemberInput> = {};
  for (const f of MEMBER_FIELDS) {
    if (!(f in raw)) continue;
    const v = raw[f]!.trim();
    let value: unknown;
    if (NUMBER_FIELDS.has(f)) {
      if (v === "") value = null;
      else {
        const n = Number(v.replace(",", "."));
        if (!Number.isFinite(n)) {
          fail(f, "not_number", { value: v }, `not a number: ${v}`);
          continue;
        }
        value = n;
      }
    } else if (f === "athlete") {
      const b = bool(v);
      if (b === null) {
        fail(f, "not_boolean", { value: v }, `not true/false: ${v}`);
        continue;
      }
      value = b;
    } else if (f === "sex") {
      value = v === "" ? "unspecified" : (SEX[v.toLowerCase()] ?? v.toLowerCase());
    } else if (f === "birthday") {
      value = excelDate(v);
    } else if (f === "notes") {
      value = raw[f]!;
    } else {
      value = v;
    }
    checkField(f, value, o.today, clean, problems);
  }
  let id: number | null = null;
  if (raw.id !== undefined && raw.id.trim() !== "") {
    const v = raw.id.trim();
    if (!/^\d{1,15}$/.test(v) || Number(v) < 1) fail("id", "bad_id", { value: v }, `not a member id: ${v}`);
    else id = Number(v);
  }
  let status: "active" | "suspended" | undefined;
  if (raw.status !== undefined && raw.status.trim() !== "") {
    const v = STATUS[raw.status.trim().toLowerCase()];
    if (!v) fail("status", "bad_status", { value: raw.status.trim() }, `must be active or suspended, not ${raw.status.trim()}`);
    else status = v;
  }
  return matchMember({ line: row.line, clean, id, status, cards: raw.cards === undefined ? [] : splitList(raw.cards), codes: raw.codes === undefined ? [] : splitList(raw.codes) }, o, seen, problems);
}

/** One member record, typed (from a CSV row or a sync request). */
export interface MemberRecord {
  /** The CSV line, or the item's index in a sync batch. */
  line: number;
  /** Member fields (as MemberPatch); only those present are changed. */
  body: Record<string, unknown>;
  id: number | null;
  status: "active" | "suspended" | undefined;
  cards: string[];
  codes: string[];
}

/**
 * Validates one record of the member sync API and decides what it does, with the checks and matching of
 * the CSV import. Throws RowFail (the first problem) for a bad record. Writes nothing.
 */
export function planMember(rec: MemberRecord, o: Pick<ImportOptions, "members" | "today">, seen: Seen): Plan {
  const problems: Problem[] = [];
  const clean: Partial<MemberInput> = {};
  for (const [f, value] of Object.entries(rec.body)) checkField(f, value, o.today, clean, problems);
  const plan = problems.length ? null : matchMember({ line: rec.line, clean, id: rec.id, status: rec.status, cards: rec.cards, codes: rec.codes }, o, seen, problems);
  if (!plan) {
    const first = problems[0]!;
    throw new RowFail(first.field, first.message, first.code);
  }
  return plan;
}

/** Which member a checked record is, and what it changes: the CSV import's and the sync's matching. */
function matchMember(
  rec: { line: number; clean: Partial<MemberInput>; id: number | null; status: "active" | "suspended" | undefined; cards: string[]; codes: string[] },
  o: Pick<ImportOptions, "members" | "today">,
  seen: Seen,
  problems: Problem[],
): Plan | null {
  const fail = (field: string, code: string, params: Record<string, string | number>, message: string) => problems.push(new Problem(field, code, params, message));
  const { clean, id, status } = rec;
  const row = { line: rec.line };

  const cards: string[] = [];
  for (const c of rec.cards) {
    const f = cardForms(c);
    if (!f) fail("cards", "bad_card", { value: c }, `not a card number (decimal, or hex): ${c}`);
    else cards.push(f.dec);
  }
  const codes: string[] = [];
  for (const c of rec.codes) {
    const n = codeNorm(c);
    if (!n || n.length > 500) fail("codes", "bad_code", {}, "a code has 1–500 characters");
    else codes.push(n);
  }

  // Which existing member this row is.
  const m = o.members;
  let existing: Member | null = null;
  if (clean.memberNo) existing = m.byMemberNo(clean.memberNo);
  if (!existing && id !== null) existing = m.get(id);
  const contactKey = !clean.memberNo && id === null ? contactKeyOf(clean) : null;
  if (!existing && contactKey) {
    const found = sameNameAndContact(m, clean);
    if (found.length > 1) {
      const names = found.map(who).join(", ");
      fail("name", "ambiguous_contact", { members: names }, `members ${names} have this name and phone or e-mail; add a memberNo or id column to say which`);
    } else existing = found[0] ?? null;
  }
  if (existing && clean.memberNo) {
    const other = m.byMemberNo(clean.memberNo);
    if (other && other.id !== existing.id) fail("memberNo", "member_no_taken", { value: clean.memberNo, owner: who(other) }, `member number ${clean.memberNo} belongs to ${who(other)}`);
  }
  if (existing && id !== null && existing.id !== id) fail("id", "id_mismatch", { value: clean.memberNo ?? "", owner: who(existing) }, `member number ${clean.memberNo} belongs to ${who(existing)}, not to the member with id ${id}`);

  // The same member, number, card or code twice in one file.
  const once = <K>(map: Map<K, number>, key: K, field: string, what: string, value: string) => {
    const first = map.get(key);
    if (first !== undefined) fail(field, "twice_in_file", { what: field, value, line: first }, `${what} is also on line ${first}`);
  };
  if (clean.memberNo) once(seen.memberNo, clean.memberNo.toLowerCase(), "memberNo", `member number ${clean.memberNo}`, clean.memberNo);
  if (id !== null) once(seen.id, id, "id", `id ${id}`, String(id));
  if (existing && !clean.memberNo) once(seen.member, existing.id, existing.memberNo ? "memberNo" : "id", who(existing), who(existing));
  if (contactKey) once(seen.contact, contactKey, "name", "the same name with the same phone or e-mail", clean.name ?? "");
  for (const c of cards) once(seen.card, c, "cards", `card ${c}`, c);
  for (const c of codes) once(seen.code, c.toLowerCase(), "codes", `code ${c}`, c);

  // Credentials held by someone else.
  const newCards: string[] = [];
  for (const c of cards) {
    const owner = m.ownerOfCard(c);
    if (owner && owner.memberId !== existing?.id) {
      const o2 = m.get(owner.memberId);
      fail("cards", "card_taken", { value: c, owner: o2 ? who(o2) : "?" }, `card ${c} belongs to ${o2 ? who(o2) : "another member"}`);
    } else if (!owner) newCards.push(c);
  }
  const newCodes: string[] = [];
  for (const c of codes) {
    const owner = m.ownerOfCode(c);
    if (owner && owner.memberId !== existing?.id) {
      const o2 = m.get(owner.memberId);
      fail("codes", "code_taken", { value: c, owner: o2 ? who(o2) : "?" }, `code ${c} belongs to ${o2 ? who(o2) : "another member"}`);
    } else if (!owner) newCodes.push(c);
  }

  if (clean.memberNo) seen.memberNo.set(clean.memberNo.toLowerCase(), row.line);
  if (id !== null) seen.id.set(id, row.line);
  if (existing) seen.member.set(existing.id, row.line);
  if (contactKey) seen.contact.set(contactKey, row.line);
  for (const c of cards) seen.card.set(c, row.line);
  for (const c of codes) seen.code.set(c.toLowerCase(), row.line);

  if (!existing && !clean.name && !problems.some((p) => p.field === "name")) fail("name", "name_required", {}, "a new member needs a name");
  if (problems.length) return null;
  if (!existing) {
    return { line: row.line, op: "create", id, input: withDefaults(clean as Partial<MemberInput> & { name: string }), status, cards: newCards, codes: newCodes };
  }
  const patch: Partial<MemberInput> = {};
  for (const [k, v] of Object.entries(clean) as [keyof MemberInput, unknown][]) {
    if (existing[k] !== v) (patch as Record<string, unknown>)[k] = v;
  }
  const statusChange = status !== undefined && status !== existing.status ? status : undefined;
  if (Object.keys(patch).length === 0 && statusChange === undefined && newCards.length === 0 && newCodes.length === 0) return { line: row.line, op: "unchanged", id: existing.id };
  return { line: row.line, op: "update", before: existing, patch, status: statusChange, cards: newCards, codes: newCodes };
}

/** For rows without memberNo or id: the name with the phone digits and/or e-mail, or null when there is neither. */
function contactKeyOf(clean: Partial<MemberInput>): string | null {
  const phone = phoneDigits(clean.phone);
  if (!clean.name || (!phone && !clean.email)) return null;
  return `${clean.name.toLowerCase()}|${phone ?? ""}|${clean.email ?? ""}`;
}

/** Members with the same name and the same phone digits or e-mail, for rows without memberNo or id. */
function sameNameAndContact(m: MembersRepo, clean: Partial<MemberInput>): Member[] {
  const phone = phoneDigits(clean.phone);
  return m.byName(clean.name!).filter((x) => (phone !== null && phoneDigits(x.phone) === phone) || (clean.email != null && x.email === clean.email));
}

/** Writes one plan (inside the caller's write job) with its audit row; returns the member id. */
export function apply(p: Plan, o: Pick<ImportOptions, "members" | "audit" | "actor" | "now" | "action">): number {
  const m = o.members;
  if (p.op === "unchanged") return p.id;
  let id: number;
  if (p.op === "create") {
    const created = m.create(p.input, o.now, p.id);
    id = created.id;
    if (p.status === "suspended") m.setStatus(id, "suspended", o.now);
  } else {
    id = p.before.id;
    if (Object.keys(p.patch).length) m.update(id, p.patch, o.now);
    if (p.status) m.setStatus(id, p.status, o.now);
  }
  for (const c of p.cards) m.addCredential(id, "card", c, null, o.now, "dec");
  for (const c of p.codes) m.addCredential(id, "code", c, null, o.now);
  const after = { ...m.require(id), credentials: m.credentials(id) };
  const action = o.action ?? "member.import";
  o.audit.record(o.actor, `${action}_${p.op}`, "member", String(id), p.op === "create" ? null : p.before, after);
  return id;
}
