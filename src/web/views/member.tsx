/** One member: details and edit, disable/enable, cards and codes, faces (faces.tsx), QR binding, history with trend charts. */
import { useMemo, useState } from "preact/hooks";
import { api, call, errorText, me } from "../api.ts";
import { navigate } from "../router.ts";
import { TrendChart } from "../chart.tsx";
import { dateOnly, t } from "../i18n/index.ts";
import { ErrorMsg, Field, Msg, Select, memberLabel, useLoad, useSubmit } from "../ui.tsx";
import { MeasurementTable, rnum } from "./dashboard.tsx";
import { Faces } from "./faces.tsx";
import { MemberForm } from "./memberform.tsx";

export function MemberPage({ id }: { id: number }) {
  const m = useLoad(() => call(() => api.members({ id }).get()), [id]);
  const [editing, setEditing] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  if (m.error) return <ErrorMsg error={m.error} />;
  if (!m.data) return <p>{t("common.loading")}</p>;
  const member = m.data;
  const toggle = async () => {
    setErr(null);
    try {
      await call(() => (member.status === "active" ? api.members({ id }).suspend.post() : api.members({ id }).reactivate.post()));
      m.reload();
    } catch (e) {
      setErr(e);
    }
  };
  /** Admins delete a member after confirming; one with measurements is refused (disable instead). */
  const remove = async () => {
    setErr(null);
    if (!confirm(t("mem.deleteConfirm", { member: memberLabel(member) }))) return;
    try {
      await call(() => api.members({ id }).delete());
      navigate("/members?deleted=" + encodeURIComponent(memberLabel(member)));
    } catch (e) {
      setErr(e);
    }
  };
  return (
    <div class="stack">
      <h1>
        {member.name} {member.memberNo && <span class="muted">{member.memberNo}</span>}{" "}
        {member.status === "suspended" && <span class="badge off">{t("mem.suspended")}</span>}
      </h1>
      <section class="card">
        {editing ? (
          <MemberForm
            initial={member}
            onCancel={() => setEditing(false)}
            onSave={async (p) => {
              await call(() => api.members({ id }).patch(p));
              setEditing(false);
              setMsg(t("common.saved"));
              m.reload();
            }}
          />
        ) : (
          <>
            <dl class="facts">
              <dt>{t("mem.memberNo")}</dt>
              <dd>{member.memberNo ?? "–"}</dd>
              <dt>{t("mem.phone")}</dt>
              <dd>{member.phone ?? "–"}</dd>
              <dt>{t("mem.email")}</dt>
              <dd>{member.email ?? "–"}</dd>
              <dt>{t("mem.sex")}</dt>
              <dd>{t(`mem.${member.sex}`)}</dd>
              <dt>{t("mem.birthday")}</dt>
              <dd>{member.birthday ?? "–"}</dd>
              <dt>{t("mem.height")}</dt>
              <dd>{member.heightCm ?? "–"}</dd>
              <dt>{t("mem.notes")}</dt>
              <dd>{member.notes ?? "–"}</dd>
            </dl>
            <div class="actions">
              <button type="button" onClick={() => setEditing(true)}>
                {t("common.edit")}
              </button>
              <button type="button" onClick={toggle}>
                {member.status === "active" ? t("mem.disable") : t("mem.enable")}
              </button>
              <a class="button" href={`/push?member=${member.id}`}>
                {t("nav.push")}
              </a>
              {member.measurementCount > 0 && (
                <>
                  <a class="button" href={`/compare/${member.id}`}>
                    {t("cmp.open")}
                  </a>
                  <a class="button" href={`/api/v1/measurements/export.csv?memberId=${member.id}&tz=${-new Date().getTimezoneOffset()}`} download>
                    {t("meas.exportCsv")}
                  </a>
                </>
              )}
              {me.value?.role === "admin" && (
                <button type="button" class="danger" onClick={remove}>
                  {t("mem.delete")}
                </button>
              )}
            </div>
          </>
        )}
        {msg && <Msg kind="ok">{msg}</Msg>}
        <ErrorMsg error={err} />
      </section>
      <History id={id} />
      <Credentials id={id} creds={member.credentials} onChange={m.reload} />
      <Faces id={id} />
      <QrBind id={id} />
    </div>
  );
}

type Cred = { id: number; kind: "card" | "code"; cardDec: string | null; cardHex: string | null; code: string | null; label: string | null };

function Credentials({ id, creds, onChange }: { id: number; creds: Cred[]; onChange: () => void }) {
  // Cards tapped on a XONE / U+ in the last 10 minutes that nobody has: "tap to enrol".
  const unknown = useLoad(() => call(() => api.youjiu["unknown-cards"].get()), [creds.length]);
  const [kind, setKind] = useState<"card" | "code">("card");
  const [value, setValue] = useState("");
  const [label, setLabel] = useState("");
  const [err, setErr] = useState<unknown>(null);
  const add = async (e: Event) => {
    e.preventDefault();
    setErr(null);
    try {
      await call(() => api.members({ id }).credentials.post({ kind, value: value.trim(), label: label.trim() || undefined }));
      setValue("");
      setLabel("");
      onChange();
    } catch (x) {
      setErr(x);
    }
  };
  const remove = async (cid: number) => {
    try {
      await call(() => api.members({ id }).credentials({ credentialId: cid }).delete());
      onChange();
    } catch (x) {
      setErr(x);
    }
  };
  return (
    <section class="card" aria-labelledby="cred-h">
      <h2 id="cred-h">{t("mem.credentials")}</h2>
      {creds.length === 0 ? (
        <p class="muted">{t("mem.noCredentials")}</p>
      ) : (
        <ul class="creds">
          {creds.map((c) => (
            <li key={c.id}>
              <span class="badge">{c.kind === "card" ? t("mem.card") : t("mem.code")}</span>{" "}
              <code>{c.kind === "card" ? `${c.cardDec} (0x${c.cardHex})` : c.code}</code> {c.label && <span class="muted">{c.label}</span>}{" "}
              <button type="button" class="link" onClick={() => remove(c.id)} aria-label={`${t("common.delete")} ${c.cardDec ?? c.code}`}>
                {t("common.delete")}
              </button>
            </li>
          ))}
        </ul>
      )}
      {unknown.data && unknown.data.length > 0 && (
        <p>
          {t("mem.tapped")}:{" "}
          {unknown.data.map((c) => (
            <button
              type="button"
              key={c.cardDec}
              class="link"
              onClick={() => {
                setKind("card");
                setValue(c.cardDec);
              }}
            >
              {c.cardDec} ({c.sn})
            </button>
          ))}
        </p>
      )}
      <form class="row" onSubmit={add}>
        <Select
          label={t("mem.kind")}
          value={kind}
          onChange={(v) => setKind(v as "card" | "code")}
          name="kind"
          options={[
            ["card", t("mem.card")],
            ["code", t("mem.code")],
          ]}
        />
        <Field label={t("mem.value")} value={value} onInput={setValue} name="credential" required />
        <Field label={t("mem.label")} value={label} onInput={setLabel} name="label" />
        <button type="submit">{t("mem.addCredential")}</button>
      </form>
      <ErrorMsg error={err} />
    </section>
  );
}

function QrBind({ id }: { id: number }) {
  const sessions = useLoad(() => call(() => api.youjiu["qr-sessions"].get()), []);
  const [value, setValue] = useState("");
  const { msg, err, submit: bind } = useSubmit(async () => {
    const r = await call(() => api.youjiu["qr-bindings"].post({ value: value.trim(), memberId: id }));
    return t("mem.qrBound", { s: r.expiresInSeconds });
  });
  return (
    <section class="card" aria-labelledby="qr-h">
      <h2 id="qr-h">{t("mem.qr")}</h2>
      {sessions.data && sessions.data.length > 0 && (
        <p>
          {t("mem.qrSessions")}:{" "}
          {sessions.data.map((s) => (
            <button type="button" key={s.value} class="link" onClick={() => setValue(s.value)}>
              {s.value}
              {s.sn ? ` (${s.sn})` : ""}
            </button>
          ))}
        </p>
      )}
      <form class="row" onSubmit={bind}>
        <Field label={t("mem.qrValue")} value={value} onInput={setValue} name="qr" required />
        <button type="submit">{t("mem.qrBind")}</button>
        <button type="button" onClick={sessions.reload} aria-label={t("mem.qrRefresh")} title={t("mem.qrRefresh")}>
          ↻
        </button>
      </form>
      {msg && <Msg kind="ok">{msg}</Msg>}
      {err && <Msg kind="error">{err}</Msg>}
    </section>
  );
}

const RANGES: Array<[string, number]> = [
  ["30", 30],
  ["90", 90],
  ["365", 365],
  ["all", 0],
];

function History({ id }: { id: number }) {
  const [range, setRange] = useState("90");
  const days = RANGES.find((r) => r[0] === range)![1];
  const from = useMemo(() => (days ? Date.now() - days * 86400000 : 0), [days]);
  const h = useLoad(() => call(() => api.members({ id }).measurements.get({ query: { from } })), [id, range]);
  const rows = h.data ?? [];
  const series = useMemo(() => {
    const pick = (k: string) => rows.flatMap((r) => (k === "weight" ? [[r.measuredAt, r.weightKg] as [number, number]] : rnum(r.report, k) == null ? [] : [[r.measuredAt, rnum(r.report, k)!] as [number, number]]));
    return { weight: pick("weight"), bodyfat: pick("bodyfat"), sinew: pick("sinew"), visfat: pick("visfat") };
  }, [h.data]);
  return (
    <section class="card" aria-labelledby="hist-h">
      <h2 id="hist-h">{t("hist.title")}</h2>
      <Select label={t("hist.range")} value={range} onChange={setRange} name="range" options={RANGES.map(([k]) => [k, t(`hist.${k}` as "hist.30")])} />
      <ErrorMsg error={h.error} />
      {rows.length === 0 ? (
        <p class="muted">{t("hist.noData")}</p>
      ) : (
        <>
          <div class="charts">
            <TrendChart title={t("meas.weight")} unit="kg" points={series.weight} color="#2563eb" from={from} />
            {series.bodyfat.length > 0 && <TrendChart title={t("meas.bodyfat")} unit="%" points={series.bodyfat} color="#dc2626" from={from} />}
            {series.sinew.length > 0 && <TrendChart title={t("meas.muscle")} unit="kg" points={series.sinew} color="#16a34a" from={from} />}
            {series.visfat.length > 0 && <TrendChart title={t("meas.visfat")} unit="" points={series.visfat} color="#9333ea" from={from} />}
          </div>
          <p class="muted small">
            {dateOnly(rows[rows.length - 1]!.measuredAt)} – {dateOnly(rows[0]!.measuredAt)}
          </p>
          <MeasurementTable rows={rows} />
        </>
      )}
    </section>
  );
}
