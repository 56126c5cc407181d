/** Members: search with paging, create, CSV import (per-row report) and export. */
import { useState } from "preact/hooks";
import { api, ApiError, call, me } from "../api.ts";
import { t } from "../i18n/index.ts";
import { navigate } from "../router.ts";
import { ErrorMsg, Field, Msg, Pager, useId, useLoad } from "../ui.tsx";
import { MemberForm } from "./memberform.tsx";

const LIMIT = 25;

export function Members() {
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  const [offset, setOffset] = useState(0);
  const [creating, setCreating] = useState(false);
  const list = useLoad(() => call(() => api.members.get({ query: { q: query || undefined, limit: LIMIT, offset } })), [query, offset]);
  return (
    <div class="stack">
      <h1>{t("mem.title")}</h1>
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
                <th>#</th>
                <th>{t("mem.name")}</th>
                <th>{t("mem.memberNo")}</th>
                <th>{t("mem.phone")}</th>
                <th>{t("mem.status")}</th>
              </tr>
            </thead>
            <tbody>
              {(list.data?.items ?? []).map((m) => (
                <tr key={m.id} class={m.status === "suspended" ? "blocked" : ""}>
                  <td>{m.id}</td>
                  <td>
                    <a href={`/members/${m.id}`}>{m.name}</a>
                  </td>
                  <td>{m.memberNo ?? ""}</td>
                  <td>{m.phone ?? ""}</td>
                  <td>{m.status === "active" ? t("mem.active") : t("mem.suspended")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {list.data && list.data.total === 0 && <p class="muted">{t("common.none")}</p>}
        {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onOffset={setOffset} />}
      </section>
      {me.value?.role === "admin" && <CsvImport onDone={list.reload} />}
    </div>
  );
}

type ImportResult = { written: boolean; rows: number; created: number; updated: number; unchanged: number; rejected: number; errors: Array<{ line: number; field: string; message: string }> };

/**
 * CSV import: the file is checked and written all or nothing; with bad rows nothing is written
 * and each bad row is listed (line, field, message). "Import the good rows" then writes the rest.
 */
function CsvImport({ onDone }: { onDone: () => void }) {
  const id = useId();
  const [csv, setCsv] = useState<string | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const send = async (text: string, partial: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const r = await call(() => api.members.import.post(text, { query: { partial }, headers: { "content-type": "text/csv" } })).catch((e) => {
        if (e instanceof ApiError && e.status === 422 && e.body && typeof e.body === "object" && "errors" in e.body) return e.body as ImportResult;
        throw e;
      });
      setResult(r as ImportResult);
      if ((r as ImportResult).written) onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const onFile = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    setResult(null);
    const text = await file.text();
    setCsv(text);
    input.value = "";
    await send(text, false);
  };
  return (
    <section class="card" aria-labelledby="import-h">
      <h2 id="import-h">{t("mem.import")}</h2>
      <div class="field">
        <label for={id}>{t("mem.importFile")}</label>
        <input id={id} type="file" accept=".csv,text/csv" onChange={onFile} disabled={busy} />
        <small class="hint">{t("mem.importHint")}</small>
      </div>
      <ErrorMsg error={error} />
      {result && (
        <div id="import-result">
          <Msg kind={result.errors.length ? "error" : "ok"}>
            {result.written
              ? t("mem.importDone", { created: result.created, updated: result.updated, failed: result.rejected })
              : t("mem.importStopped", { failed: result.errors.length })}
          </Msg>
          {result.errors.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th>{t("mem.importRow")}</th>
                  <th>{t("mem.importField")}</th>
                  <th>{t("mem.importError")}</th>
                </tr>
              </thead>
              <tbody>
                {result.errors.map((r, i) => (
                  <tr key={i} class="bad-row">
                    <td>{r.line}</td>
                    <td>{r.field}</td>
                    <td>{r.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {!result.written && result.errors.length > 0 && csv && (
            <p>
              <button type="button" class="primary" disabled={busy} onClick={() => send(csv, true)}>
                {t("mem.importGood")}
              </button>
            </p>
          )}
        </div>
      )}
    </section>
  );
}
