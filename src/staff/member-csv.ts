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
import { FieldError, MemberPatch, cleanMember, schemaError, withDefaults } from "./member-input.ts";

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
      if (cell.trim() !== "" || wasQuoted) throw new CsvSyntaxError(line, 'a quote (") inside an unquoted field; quote the whole field and double inner quotes');
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
    if (wasQuoted && c !== " " && c !== "\t") throw new CsvSyntaxError(line, "text after a closing quote");
    if (!wasQuoted) cell += c;
    i++;
  }
  if (quoted) throw new CsvSyntaxError(rowLine, "a quoted field is not closed");
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

export interface RowError {
  line: number;
  field: string;
  message: string;
}

export interface ImportResult {
  /** Whether anything was written (false for a dry run, or when bad rows stopped the import). */
  written: boolean;
  dryRun: boolean;
  partial: boolean;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Bad rows left out (partial imports), or that stopped the import. */
  rejected: number;
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
}

const NUMBER_FIELDS = new Set(["heightCm", "referenceWeightKg", "goalWeightKg"]);
const KNOWN = new Map<string, string>(
  [...EXPORT_COLUMNS].map((c) => [c.toLowerCase(), c]),
);
const IGNORED = new Set(["createdAt", "updatedAt"]);

export type Plan =
  | { line: number; op: "create"; id: number | null; input: MemberInput; status: "active" | "suspended" | undefined; cards: string[]; codes: string[] }
  | { line: number; op: "update"; before: Member; patch: Partial<MemberInput>; status: "active" | "suspended" | undefined; cards: string[]; codes: string[] }
  | { line: number; op: "unchanged"; id: number };

function splitList(s: string): string[] {
  return s
    .split(";")
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
  ) {
    super(message);
  }
}

export function importCsv(text: string, o: ImportOptions): ImportResult {
  const result: ImportResult = { written: false, dryRun: o.dryRun, partial: o.partial, rows: 0, created: 0, updated: 0, unchanged: 0, rejected: 0, errors: [] };
  let rows: CsvRow[];
  try {
    rows = parseCsv(text);
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    result.errors.push({ line: e.line, field: "file", message: e.message });
    return result;
  }
  const header = rows.shift();
  if (!header || header.cells.every((c) => c.trim() === "")) {
    result.errors.push({ line: 1, field: "file", message: "the file is empty: it needs a header row (e.g. memberNo,name,phone)" });
    return result;
  }
  const columns: string[] = [];
  for (const raw of header.cells) {
    const name = KNOWN.get(raw.trim().toLowerCase());
    if (!name) {
      result.errors.push({ line: header.line, field: raw.trim() || "(blank)", message: `unknown column; known columns are ${EXPORT_COLUMNS.join(", ")}` });
    } else if (columns.includes(name)) {
      result.errors.push({ line: header.line, field: name, message: "this column appears twice" });
    }
    columns.push(name ?? "");
  }
  if (result.errors.length) return result;

  const seen = newSeen();
  const plans: Plan[] = [];

  for (const row of rows) {
    if (row.cells.every((c) => c.trim() === "")) continue;
    result.rows++;
    try {
      plans.push(planRow(row, columns, o, seen));
    } catch (e) {
      if (e instanceof RowFail) result.errors.push({ line: row.line, field: e.field, message: e.message });
      else if (e instanceof FieldError) result.errors.push({ line: row.line, field: e.field, message: e.reason });
      else throw e;
    }
  }
  result.rejected = result.errors.length;
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

function planRow(row: CsvRow, columns: string[], o: ImportOptions, seen: Seen): Plan {
  if (row.cells.length > columns.length && row.cells.slice(columns.length).some((c) => c.trim() !== "")) {
    throw new RowFail("row", `has ${row.cells.length} fields but the header has ${columns.length}`);
  }
  const raw: Record<string, string> = {};
  columns.forEach((c, i) => {
    if (!IGNORED.has(c)) raw[c] = unSpreadsheet((row.cells[i] ?? "").trim());
  });

  // Text to typed values, then the API's own schema and checks.
  const body: Record<string, unknown> = {};
  for (const f of MEMBER_FIELDS) {
    if (!(f in raw)) continue;
    const v = raw[f]!.trim();
    if (NUMBER_FIELDS.has(f)) {
      if (v === "") body[f] = null;
      else {
        const n = Number(v.replace(",", "."));
        if (!Number.isFinite(n)) throw new RowFail(f, `not a number: ${v}`);
        body[f] = n;
      }
    } else if (f === "athlete") {
      const b = bool(v);
      if (b === null) throw new RowFail(f, `not true/false: ${v}`);
      body[f] = b;
    } else if (f === "sex") {
      body[f] = v === "" ? "unspecified" : v.toLowerCase();
    } else if (f === "notes") {
      body[f] = raw[f]!;
    } else {
      body[f] = v;
    }
  }
  let id: number | null = null;
  if (raw.id !== undefined && raw.id.trim() !== "") {
    const v = raw.id.trim();
    if (!/^\d{1,15}$/.test(v) || Number(v) < 1) throw new RowFail("id", `not a member id: ${v}`);
    id = Number(v);
  }
  let status: "active" | "suspended" | undefined;
  if (raw.status !== undefined && raw.status.trim() !== "") {
    const v = raw.status.trim().toLowerCase();
    if (v !== "active" && v !== "suspended") throw new RowFail("status", `must be active or suspended, not ${raw.status.trim()}`);
    status = v;
  }
  return planMember({ line: row.line, body, id, status, cards: raw.cards === undefined ? [] : splitList(raw.cards), codes: raw.codes === undefined ? [] : splitList(raw.codes) }, o, seen);
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
 * Validates one record and decides what it does (the matching and checks of the CSV import, shared
 * by the member sync API). Throws RowFail or FieldError for a bad record. Writes nothing.
 */
export function planMember(rec: MemberRecord, o: Pick<ImportOptions, "members" | "today">, seen: Seen): Plan {
  const { body, id, status } = rec;
  const row = { line: rec.line };
  const bad = schemaError(MemberPatch, body);
  if (bad) throw new RowFail(bad.field, bad.message);
  const clean = cleanMember(body, o.today);

  const cards: string[] = [];
  for (const c of rec.cards) {
    const f = cardForms(c);
    if (!f) throw new RowFail("cards", `not a card number (decimal, or hex): ${c}`);
    cards.push(f.dec);
  }
  const codes: string[] = [];
  for (const c of rec.codes) {
    const n = codeNorm(c);
    if (!n || n.length > 500) throw new RowFail("codes", "a code has 1–500 characters");
    codes.push(n);
  }

  // Which existing member this row is.
  const m = o.members;
  let existing: Member | null = null;
  if (clean.memberNo) existing = m.byMemberNo(clean.memberNo);
  if (!existing && id !== null) existing = m.get(id);
  const contactKey = !clean.memberNo && id === null ? contactKeyOf(clean) : null;
  if (!existing && contactKey) {
    const found = sameNameAndContact(m, clean);
    if (found.length > 1) throw new RowFail("name", `members ${found.map((x) => x.id).join(", ")} have this name and phone or e-mail; add a memberNo or id column to say which`);
    existing = found[0] ?? null;
  }
  if (existing && clean.memberNo) {
    const other = m.byMemberNo(clean.memberNo);
    if (other && other.id !== existing.id) throw new RowFail("memberNo", `member number ${clean.memberNo} belongs to member ${other.id}`);
  }
  if (existing && id !== null && existing.id !== id) throw new RowFail("id", `member number ${clean.memberNo} belongs to member ${existing.id}, not to ${id}`);

  // The same member, number, card or code twice in one file.
  const once = <K>(map: Map<K, number>, key: K, field: string, what: string) => {
    const first = map.get(key);
    if (first !== undefined) throw new RowFail(field, `${what} is also on line ${first}`);
  };
  if (clean.memberNo) once(seen.memberNo, clean.memberNo.toLowerCase(), "memberNo", `member number ${clean.memberNo}`);
  if (id !== null) once(seen.id, id, "id", `id ${id}`);
  if (existing) once(seen.member, existing.id, existing.memberNo ? "memberNo" : "id", `member ${existing.id}`);
  if (contactKey) once(seen.contact, contactKey, "name", "the same name with the same phone or e-mail");
  for (const c of cards) once(seen.card, c, "cards", `card ${c}`);
  for (const c of codes) once(seen.code, c.toLowerCase(), "codes", `code ${c}`);

  // Credentials held by someone else.
  const newCards: string[] = [];
  for (const c of cards) {
    const owner = m.ownerOfCard(c);
    if (owner && owner.memberId !== existing?.id) throw new RowFail("cards", `card ${c} belongs to member ${owner.memberId}`);
    if (!owner) newCards.push(c);
  }
  const newCodes: string[] = [];
  for (const c of codes) {
    const owner = m.ownerOfCode(c);
    if (owner && owner.memberId !== existing?.id) throw new RowFail("codes", `code ${c} belongs to member ${owner.memberId}`);
    if (!owner) newCodes.push(c);
  }

  if (clean.memberNo) seen.memberNo.set(clean.memberNo.toLowerCase(), row.line);
  if (id !== null) seen.id.set(id, row.line);
  if (existing) seen.member.set(existing.id, row.line);
  if (contactKey) seen.contact.set(contactKey, row.line);
  for (const c of cards) seen.card.set(c, row.line);
  for (const c of codes) seen.code.set(c.toLowerCase(), row.line);

  if (!existing) {
    if (!clean.name) throw new RowFail("name", "a new member needs a name");
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
