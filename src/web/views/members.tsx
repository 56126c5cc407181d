/** Members: search with paging, create, CSV import (per-row report) and export. */
import { useState } from "preact/hooks";
import { api, ApiError, call, me, postBytes } from "../api.ts";
import { dateOnly, dateTime, fieldLabel, t, tx, type Key } from "../i18n/index.ts";
import { navigate, route } from "../router.ts";
import { ErrorMsg, Field, Msg, Pager, Select, memberLabel, useId, useLoad } from "../ui.tsx";
import { MemberForm } from "./memberform.tsx";

const LIMIT = 25;

export function Members() {
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  const [offset, setOffset] = useState(0);
  const [creating, setCreating] = useState(false);
  const [status, setStatus] = useState("");
  const [measured, setMeasured] = useState("");
  const list = useLoad(() => {
    const [kind, days] = measured.split(":");
    return call(() =>
      api.members.get({
        query: {
          q: query || undefined,
          limit: LIMIT,
          offset,
          status: (status || undefined) as "active" | "suspended" | undefined,
          measuredWithinDays: kind === "in" ? Number(days) : undefined,
          notMeasuredForDays: kind === "not" ? Number(days) : undefined,
        },
      }),
    );
  }, [query, offset, status, measured]);
  const deleted = route.value.query.get("deleted");
  return (
    <div class="stack">
      <h1>{t("mem.title")}</h1>
      {deleted && <Msg kind="ok">{t("mem.deleted", { member: deleted })}</Msg>}
      <section class="card">
        <form
          class="row"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setOffset(0);
            setQuery(q.trim());
          }}
        >
          <Field label={t("mem.search")} value={q} onInput={setQ} type="search" name="q" hint={t("push.searchHint")} />
          <button type="submit">{t("common.search")}</button>
          <span class="spacer" />
          <button type="button" class="primary" onClick={() => setCreating(true)} aria-expanded={creating}>
            {t("mem.new")}
          </button>
          <a class="button" href="/api/v1/members/export.csv" download="members.csv">
            {t("mem.export")}
          </a>
        </form>
        <div class="row filters">
          <Select
            label={t("mem.status")}
            name="status-filter"
            value={status}
            onChange={(v) => {
              setOffset(0);
              setStatus(v);
            }}
            options={[
              ["", t("mem.anyStatus")],
              ["active", t("mem.active")],
              ["suspended", t("mem.suspended")],
            ]}
          />
          <Select
            label={t("mem.lastMeasured")}
            name="measured-filter"
            value={measured}
            onChange={(v) => {
              setOffset(0);
              setMeasured(v);
            }}
            options={[
              ["", t("mem.anyTime")],
              ["in:7", t("mem.measuredIn", { n: 7 })],
              ["in:30", t("mem.measuredIn", { n: 30 })],
              ["in:90", t("mem.measuredIn", { n: 90 })],
              ["not:30", t("mem.notMeasuredIn", { n: 30 })],
              ["not:90", t("mem.notMeasuredIn", { n: 90 })],
            ]}
          />
        </div>
        {creating && (
          <div class="panel">
            <h2>{t("mem.new")}</h2>
            <MemberForm
              onCancel={() => setCreating(false)}
              onSave={async (m) => {
                const r = await call(() => api.members.post(m));
                navigate(`/members/${r.id}`);
              }}
            />
          </div>
        )}
        <ErrorMsg error={list.error} />
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>{t("mem.name")}</th>
                <th>{t("mem.memberNo")}</th>
                <th>{t("mem.phone")}</th>
                <th>{t("mem.lastMeasured")}</th>
                <th>{t("mem.status")}</th>
              </tr>
            </thead>
            <tbody>
              {(list.data?.items ?? []).map((m) => (
                <tr key={m.id} class={m.status === "suspended" ? "blocked" : ""}>
                  <td>
                    <a href={`/members/${m.id}`}>{m.name}</a>
                  </td>
                  <td>{m.memberNo ?? ""}</td>
                  <td>{m.phone ?? ""}</td>
                  <td title={m.lastMeasuredAt ? dateTime(m.lastMeasuredAt) : undefined} data-last={m.lastMeasuredAt ?? ""}>
                    {m.lastMeasuredAt ? dateOnly(m.lastMeasuredAt) : <span class="muted">{t("mem.neverMeasured")}</span>}
                  </td>
                  <td>{m.status === "active" ? t("mem.active") : t("mem.suspended")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {list.data && list.data.total === 0 && <p class="muted">{t("common.none")}</p>}
        {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onOffset={setOffset} />}
      </section>
      <MeasurementsExport />
      {me.value?.role === "admin" && <CsvImport onDone={list.reload} />}
    </div>
  );
}

/** Measurements of a date range as CSV for Excel (UTF-8 with BOM), in the gym's time zone. */
function MeasurementsExport() {
  const day = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  const [from, setFrom] = useState(day(new Date(Date.now() - 30 * 86400000)));
  const [to, setTo] = useState(day(new Date()));
  const ms = (s: string, end: boolean) => {
    const d = new Date(s + "T00:00:00");
    if (end) d.setDate(d.getDate() + 1);
    return d.getTime();
  };
  const href = `/api/v1/measurements/export.csv?${new URLSearchParams({ from: String(ms(from, false)), to: String(ms(to, true)), tz: String(-new Date().getTimezoneOffset()) })}`;
  return (
    <section class="card" aria-labelledby="mexp-h">
      <h2 id="mexp-h">{t("meas.exportTitle")}</h2>
      <div class="row">
        <Field label={t("meas.from")} value={from} onInput={setFrom} type="date" name="export-from" />
        <Field label={t("meas.to")} value={to} onInput={setTo} type="date" name="export-to" />
        <a class="button" id="measurements-export" href={href} download>
          {t("meas.exportCsv")}
        </a>
      </div>
    </section>
  );
}

// The server's own shapes (type-only: nothing of the server is bundled).
type RowError = import("../../staff/member-csv.ts").RowError;
type ImportResult = import("../../staff/member-csv.ts").ImportResult;

const ENCODINGS: Array<[string, Key]> = [
  ["utf-8", "csv.enc.utf8"],
  ["gb18030", "csv.enc.gb18030"],
  ["utf-16le", "csv.enc.utf16le"],
  ["utf-16be", "csv.enc.utf16be"],
];

/** A row's problems in the page's language (by code), the English sentence when the code is new. */
export function csvProblem(e: RowError): string {
  return tx(`csv.${e.code}`, e.message, { ...e.params, field: fieldLabel(e.field) });
}

/**
 * CSV import, preview first: the file (its bytes: GBK from Chinese Excel, UTF-8 or UTF-16) is checked
 * with dryRun and nothing is written until staff confirm. The preview shows the detected encoding
 * (which can be changed), what would be created, updated and skipped, and every problem of every bad
 * row, named by the row's name and member number.
 */
function CsvImport({ onDone }: { onDone: () => void }) {
  const id = useId();
  const [file, setFile] = useState<{ name: string; bytes: ArrayBuffer } | null>(null);
  const [encoding, setEncoding] = useState("auto");
  const [preview, setPreview] = useState<ImportResult | null>(null);
  const [done, setDone] = useState<ImportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const send = async (bytes: ArrayBuffer, enc: string, mode: "preview" | "all" | "good") => {
    setBusy(true);
    setError(null);
    try {
      const q = new URLSearchParams({ encoding: enc });
      if (mode === "preview") q.set("dryRun", "true");
      if (mode === "good") q.set("partial", "true");
      const r = await call(() => postBytes<ImportResult>(`/api/v1/members/import?${q}`, bytes, "text/csv")).catch((e) => {
        if (e instanceof ApiError && e.status === 422 && e.body && typeof e.body === "object" && "errors" in e.body) return e.body as ImportResult;
        throw e;
      });
      if (mode === "preview") setPreview(r);
      else {
        setDone(r);
        setPreview(null);
        setFile(null);
        if (r.written) onDone();
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const onFile = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const f = input.files?.[0];
    if (!f) return;
    setPreview(null);
    setDone(null);
    const bytes = await f.arrayBuffer();
    setFile({ name: f.name, bytes });
    setEncoding("auto");
    input.value = "";
    await send(bytes, "auto", "preview");
  };
  const good = preview ? preview.created + preview.updated : 0;
  const byLine = new Map<number, RowError[]>();
  for (const e of preview?.errors ?? []) byLine.set(e.line, [...(byLine.get(e.line) ?? []), e]);
  return (
    <section class="card" aria-labelledby="import-h">
      <h2 id="import-h">{t("mem.import")}</h2>
      <div class="field">
        <label for={id}>{t("mem.importFile")}</label>
        <input id={id} type="file" accept=".csv,.txt,text/csv" onChange={onFile} disabled={busy} />
        <small class="hint">{t("mem.importHint")}</small>
      </div>
      <ErrorMsg error={error} />
      {done && (
        <Msg kind="ok">
          <span id="import-done">{t("mem.importDone", { created: done.created, updated: done.updated, failed: done.rejected })}</span>
        </Msg>
      )}
      {preview && file && (
        <div id="import-preview" class="panel">
          <h3>{t("csv.preview", { file: file.name })}</h3>
          <div class="row">
            <Select
              label={t("csv.encoding")}
              name="encoding"
              value={encoding === "auto" ? preview.encoding : encoding}
              onChange={(v) => {
                setEncoding(v);
                void send(file.bytes, v, "preview");
              }}
              options={ENCODINGS.map(([v, k]) => [v, t(k)])}
            />
            <p class="muted small">{preview.encodingDetected ? t("csv.detected") : t("csv.chosen")}</p>
          </div>
          {preview.unreadable > 0 && <Msg kind="error">{t("csv.unreadable", { n: preview.unreadable })}</Msg>}
          <ul class="counts" aria-label={t("csv.counts")}>
            <li>
              {t("csv.toCreate")}: <b data-count="create">{preview.created}</b>
            </li>
            <li>
              {t("csv.toUpdate")}: <b data-count="update">{preview.updated}</b>
            </li>
            <li>
              {t("csv.toSkip")}: <b data-count="skip">{preview.unchanged}</b>
            </li>
            <li>
              {t("csv.bad")}: <b data-count="bad">{preview.rejected}</b>
            </li>
          </ul>
          {byLine.size > 0 && (
            <table>
              <thead>
                <tr>
                  <th>{t("mem.importRow")}</th>
                  <th>{t("meas.member")}</th>
                  <th>{t("mem.importError")}</th>
                </tr>
              </thead>
              <tbody>
                {[...byLine].map(([line, errs]) => (
                  <tr key={line} class="bad-row">
                    <td>{line}</td>
                    <td>{errs[0]!.name || errs[0]!.memberNo ? memberLabel({ name: errs[0]!.name ?? "–", memberNo: errs[0]!.memberNo }) : "–"}</td>
                    <td>
                      <ul class="problems">
                        {errs.map((e, i) => (
                          <li key={i}>{csvProblem(e)}</li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div class="actions">
            {preview.errors.length === 0 && good > 0 && (
              <button type="button" class="primary" disabled={busy} onClick={() => send(file.bytes, encoding, "all")}>
                {t("csv.importAll", { n: good })}
              </button>
            )}
            {preview.errors.length > 0 && good > 0 && (
              <button type="button" class="primary" disabled={busy} onClick={() => send(file.bytes, encoding, "good")}>
                {t("mem.importGood")}
              </button>
            )}
            {good === 0 && <p class="muted">{preview.errors.length ? t("csv.nothingGood") : t("csv.nothingNew")}</p>}
            <button
              type="button"
              onClick={() => {
                setPreview(null);
                setFile(null);
              }}
            >
              {t("common.cancel")}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
