/** Members: search with paging, create, CSV import (per-row report) and export. */
import { useState } from "preact/hooks";
import { api, call } from "../api.ts";
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
          <a class="button" href="/api/v1/members-export.csv" download="members.csv">
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
      <CsvImport onDone={list.reload} />
    </div>
  );
}

type ImportResult = { created: number; updated: number; failed: number; ignoredColumns: string[]; rows: Array<{ row: number; ok: boolean; memberId?: number; action?: string; error?: string }> };

function CsvImport({ onDone }: { onDone: () => void }) {
  const id = useId();
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const onFile = async (e: Event) => {
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const csv = await file.text();
      setResult(await call(() => api["members-import"].post({ csv })));
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      (e.target as HTMLInputElement).value = "";
    }
  };
  return (
    <section class="card" aria-labelledby="import-h">
      <h2 id="import-h">{t("mem.import")}</h2>
      <div class="field">
        <label for={id}>{t("mem.importFile")}</label>
        <input id={id} type="file" accept=".csv,text/csv" onChange={onFile} disabled={busy} />
        <small class="hint">id, memberNo, name, nickname, phone, email, sex, birthday, heightCm, referenceWeightKg, goalWeightKg, athlete, notes, status, cards, codes</small>
      </div>
      <ErrorMsg error={error} />
      {result && (
        <div id="import-result">
          <Msg kind={result.failed ? "error" : "ok"}>{t("mem.importDone", { created: result.created, updated: result.updated, failed: result.failed })}</Msg>
          {result.failed > 0 && (
            <table>
              <thead>
                <tr>
                  <th>{t("mem.importRow")}</th>
                  <th>{t("mem.importError")}</th>
                </tr>
              </thead>
              <tbody>
                {result.rows
                  .filter((r) => !r.ok)
                  .map((r) => (
                    <tr key={r.row} class="bad-row">
                      <td>{r.row}</td>
                      <td>{r.error}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}
