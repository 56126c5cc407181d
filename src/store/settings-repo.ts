/**
 * Repository for the `settings` table. Values are JSON; every write is validated
 * against the setting's schema. Secrets are masked by `list()`.
 */
import type { Database, Statement } from "bun:sqlite";
import { Value } from "@sinclair/typebox/value";
import { SETTING_DEFS, genericSettingEnv, settingDef, type SettingDef, type SettingKey, type SettingValue } from "../config/settings.ts";

export class SettingError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
    this.name = "SettingError";
  }
}

export interface SettingView {
  key: string;
  value: unknown;
  isSet: boolean;
  secret: boolean;
  description: string;
  updatedAt: number | null;
  updatedBy: string | null;
}

/** What a secret's value looks like in list() (and the settings API). */
export const SECRET_MASK = "********";

/** The definitions as plain SettingDefs, for loops that look at optional fields (generate, env). */
const DEFS: readonly SettingDef[] = SETTING_DEFS;

/** The definition of a known key; an unknown one throws (callers typed with a string that is not a SettingKey). */
function known(key: string): SettingDef {
  const def = settingDef(key);
  if (!def) throw new SettingError(key, `unknown setting ${key}`);
  return def;
}

type Row = { key: string; value: string; updated_at: number; updated_by: string | null };

export class SettingsRepo {
  private readonly getStmt: Statement<Row, [string]>;
  private readonly allStmt: Statement<Row, []>;
  private readonly upsertStmt: Statement<unknown, [string, string, number, string | null]>;
  private readonly insertIfAbsentStmt: Statement<unknown, [string, string, number, string | null]>;
  private readonly deleteStmt: Statement<unknown, [string]>;
  /** Cache of parsed values; settings are read on hot paths (every device request). */
  private readonly cache = new Map<string, unknown>();

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    this.getStmt = db.query("SELECT key, value, updated_at, updated_by FROM settings WHERE key = ?");
    this.allStmt = db.query("SELECT key, value, updated_at, updated_by FROM settings ORDER BY key");
    this.upsertStmt = db.query(
      "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    );
    this.insertIfAbsentStmt = db.query(
      "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
    );
    this.deleteStmt = db.query("DELETE FROM settings WHERE key = ?");
  }

  /**
   * The stored value, else the definition's default. Typed by the key (SettingValue in
   * config/settings.ts); an unknown key is a type error and throws SettingError.
   */
  get<K extends SettingKey>(key: K): SettingValue<K> {
    if (this.cache.has(key)) return this.cache.get(key) as SettingValue<K>;
    const def = known(key);
    const row = this.getStmt.get(key);
    const value = row ? JSON.parse(row.value) : def.default;
    this.cache.set(key, value);
    return value as SettingValue<K>;
  }

  private check(key: string, value: unknown): SettingDef {
    const def = known(key);
    if (!Value.Check(def.schema, value)) {
      const err = Value.Errors(def.schema, value).First();
      throw new SettingError(key, `invalid value for ${key}: ${err?.message ?? "wrong type"}`);
    }
    const refused = def.check?.(value as never);
    if (refused) throw new SettingError(key, `invalid value for ${key}: ${refused}`);
    return def;
  }

  /** Validates against the key's schema (SettingError when it does not fit) and writes. */
  set<K extends SettingKey>(key: K, value: SettingValue<K>, by: string | null): void {
    this.check(key, value);
    this.upsertStmt.run(key, JSON.stringify(value), this.now(), by);
    this.cache.set(key, value);
  }

  /** Writes only if the key has no row yet; returns true if it wrote. */
  setIfAbsent<K extends SettingKey>(key: K, value: SettingValue<K>, by: string | null): boolean {
    this.check(key, value);
    const changes = this.insertIfAbsentStmt.run(key, JSON.stringify(value), this.now(), by).changes;
    this.cache.delete(key);
    return changes > 0;
  }

  /** Back to the default. */
  reset(key: SettingKey): void {
    known(key);
    this.deleteStmt.run(key);
    this.cache.delete(key);
  }

  /** Forget cached values (after a restore or an out-of-band write). */
  invalidate(): void {
    this.cache.clear();
  }

  /** Every known setting plus any stored unknown key; secrets masked. */
  list(): SettingView[] {
    const rows = new Map(this.allStmt.all().map((r) => [r.key, r]));
    const keys = new Set([...SETTING_DEFS.map((d) => d.key), ...rows.keys()]);
    return [...keys].sort().map((key) => {
      const def = settingDef(key);
      const row = rows.get(key);
      const value = row ? JSON.parse(row.value) : def?.default;
      const secret = def?.secret === true;
      return {
        key,
        value: secret ? (value == null ? null : SECRET_MASK) : value,
        isSet: value != null,
        secret,
        description: def?.description ?? "",
        updatedAt: row?.updated_at ?? null,
        updatedBy: row?.updated_by ?? null,
      };
    });
  }

  /** Generates the first value of every setting that has a generator and no stored value (keys made at first start). */
  ensureGenerated(): string[] {
    const made: string[] = [];
    for (const def of DEFS) {
      if (def.generate && this.getStmt.get(def.key) === null && this.setIfAbsent(def.key as SettingKey, def.generate() as never, "system")) made.push(def.key);
    }
    return made;
  }

  /**
   * Seeds first values from the environment: the def's own `env` name or
   * BODYDOCK_SETTING_<KEY>. Values are parsed as JSON when they parse, else taken
   * as strings. Never overwrites a stored value. Returns the keys seeded.
   */
  seedFromEnv(env: Record<string, string | undefined>): string[] {
    const seeded: string[] = [];
    for (const def of DEFS) {
      const raw = (def.env && env[def.env]) || env[genericSettingEnv(def.key)];
      if (raw === undefined || raw === "") continue;
      let value: unknown = raw;
      try {
        value = JSON.parse(raw);
      } catch {
        /* plain string */
      }
      // A list may also be given comma-separated: BODYDOCK_ALLOWED_HOSTS=gym.example,10.0.0.9
      if (!Value.Check(def.schema, value) && (def.schema as { type?: string }).type === "array") value = raw.split(",").map((x) => x.trim()).filter(Boolean);
      if (!Value.Check(def.schema, value)) value = raw;
      const envName = def.env && env[def.env] ? def.env : genericSettingEnv(def.key);
      try {
        if (this.setIfAbsent(def.key as SettingKey, value as never, "env")) seeded.push(def.key);
      } catch (e) {
        throw new SettingError(def.key, `${envName}: ${(e as Error).message}`);
      }
    }
    return seeded;
  }
}
