/** Settings (admin): Yolanda WSP Mini, XONE token mode and other device settings, retention, staff accounts, audit log. */
import { useState } from "preact/hooks";
import { api, call, errorText, me } from "../api.ts";
import { dateTime, t } from "../i18n/index.ts";
import { ErrorMsg, Field, Msg, Pager, Select, useLoad, useSubmit } from "../ui.tsx";
import { Integrations } from "./integrations.tsx";
import { FacePurge } from "./faces.tsx";

export function Settings() {
  if (me.value?.role !== "admin") return <p class="msg error">403</p>;
  return (
    <div class="stack">
      <h1>{t("set.title")}</h1>
      <YolandaMini />
      <General />
      <Integrations />
      <FacePurge />
      <Staff />
      <Audit />
    </div>
  );
}

function YolandaMini() {
  const mini = useLoad(() => call(() => api.yolanda.mini.get()), []);
  const [secret, setSecret] = useState("");
  const { msg, err, submit: save } = useSubmit(async () => {
    await call(() => api.yolanda.mini.secret.put({ secret: secret.trim(), keepPrevious: true }));
    setSecret("");
    mini.reload();
    return t("common.saved");
  });
  return (
    <section class="card" aria-labelledby="yo-h">
      <h2 id="yo-h">{t("set.yolanda")}</h2>
      <ErrorMsg error={mini.error} />
      {mini.data && <p>{mini.data.secretConfigured ? t("set.secretSet", { fp: mini.data.secretFingerprint ?? "" }) : t("set.secretUnset")}</p>}
      <form class="row" onSubmit={save}>
        <Field label={t("set.secret")} value={secret} onInput={setSecret} name="secret" type="password" autoComplete="off" minLength={16} required />
        <button type="submit">{t("set.setSecret")}</button>
      </form>
      {msg && <Msg kind="ok">{msg}</Msg>}
      {err && <Msg kind="error">{err}</Msg>}
    </section>
  );
}

interface SettingView {
  key: string;
  value: unknown;
  description: string;
}

function General() {
  const s = useLoad(() => call(() => api.settings.get()), []);
  return (
    <section class="card" aria-labelledby="gen-h">
      <h2 id="gen-h">{t("set.general")}</h2>
      <ErrorMsg error={s.error} />
      {(s.data?.settings ?? []).map((x) => (
        <SettingRow key={x.key} s={x} onSaved={s.reload} />
      ))}
    </section>
  );
}

/** Settings whose value is one of a few words get a list instead of a text field. */
const CHOICES: Record<string, string[]> = {
  "youjiu.unknownCardMode": ["reject", "wait"],
  "youjiu.locale": ["en", "zh-CN"],
  "youjiu.defaultPushScene": ["meas-composition", "meas-posture", "meas-girth", "meas-balance", "meas-3t", "meas-composition-posture", "meas-composition-postpartum"],
};

function SettingRow({ s, onSaved }: { s: SettingView; onSaved: () => void }) {
  const [v, setV] = useState(s.value == null ? "" : String(s.value));
  const kind = typeof s.value === "boolean" ? "bool" : typeof s.value === "number" ? "num" : "text";
  const { msg, err, submit: save } = useSubmit(async () => {
    const value = kind === "bool" ? v === "true" : kind === "num" ? Number(v) : v.trim() === "" ? null : v.trim();
    await call(() => api.settings({ key: s.key }).put({ value }));
    onSaved();
    return t("common.saved");
  });
  const label = `${s.key} — ${s.description}`;
  return (
    <form class="row setting" onSubmit={save}>
      {kind === "bool" ? (
        <Select label={label} value={v} onChange={setV} options={[["true", t("common.yes")], ["false", t("common.no")]]} name={s.key} />
      ) : CHOICES[s.key] ? (
        <Select label={label} value={v} onChange={setV} options={CHOICES[s.key]!.map((c) => [c, c])} name={s.key} />
      ) : (
        <Field label={label} value={v} onInput={setV} name={s.key} inputMode={kind === "num" ? "decimal" : undefined} />
      )}
      <button type="submit">{t("common.save")}</button>
      {msg && <span class="muted">{msg}</span>}
      {err && <Msg kind="error">{err}</Msg>}
    </form>
  );
}

function Staff() {
  const list = useLoad(() => call(() => api.staff.get()), []);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<"staff" | "admin">("staff");
  const [err, setErr] = useState<string | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    setErr(null);
    try {
      await call(() => api.staff.post({ username: username.trim(), password, role }));
      setUsername("");
      setPassword("");
      list.reload();
    } catch (x) {
      setErr(errorText(x));
    }
  };
  const [note, setNote] = useState<string | null>(null);
  const unlock = async (id: number, name: string) => {
    setErr(null);
    try {
      await call(() => api.staff({ id }).unlock.post());
      setNote(t("set.unlocked", { name }));
      list.reload();
    } catch (x) {
      setErr(errorText(x));
    }
  };
  const toggle = async (id: number, disabled: boolean) => {
    try {
      await call(() => (disabled ? api.staff({ id }).enable.post() : api.staff({ id }).disable.post()));
      list.reload();
    } catch (x) {
      setErr(errorText(x));
    }
  };
  return (
    <section class="card" aria-labelledby="staff-h">
      <h2 id="staff-h">{t("set.staff")}</h2>
      <table>
        <thead>
          <tr>
            <th>{t("auth.username")}</th>
            <th>{t("set.role")}</th>
            <th>{t("mem.status")}</th>
            <th>{t("set.signIns")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(list.data ?? []).map((s) => (
            <tr key={s.id}>
              <td>{s.username}</td>
              <td>{s.role}</td>
              <td>{s.disabled ? t("mem.suspended") : t("mem.active")}</td>
              <td data-testid={`signins-${s.username}`}>
                {s.throttledUntil !== null ? (
                  <span class="badge warn">{t("set.throttled", { n: s.failedSignIns, until: dateTime(s.throttledUntil) })}</span>
                ) : s.failedSignIns > 0 ? (
                  t("set.failedSignIns", { n: s.failedSignIns })
                ) : (
                  t("set.signInsOk")
                )}
                {s.failedSignIns > 0 && (
                  <button type="button" onClick={() => unlock(s.id, s.username)}>
                    {t("set.unlock")}
                  </button>
                )}
              </td>
              <td>
                {s.id !== me.value?.id && (
                  <div class="row">
                    <button type="button" onClick={() => toggle(s.id, s.disabled)}>
                      {s.disabled ? t("mem.enable") : t("mem.disable")}
                    </button>
                    <ResetPassword id={s.id} username={s.username} />
                  </div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t("set.newStaff")}</h3>
      <form class="row" onSubmit={create}>
        <Field label={t("auth.username")} value={username} onInput={setUsername} name="new-username" required autoComplete="off" />
        <Field label={t("auth.password")} value={password} onInput={setPassword} name="new-password" type="password" required autoComplete="new-password" />
        <Select label={t("set.role")} value={role} onChange={(v) => setRole(v as "staff" | "admin")} options={[["staff", "staff"], ["admin", "admin"]]} name="role" />
        <button type="submit">{t("set.create")}</button>
      </form>
      {note && <Msg kind="ok">{note}</Msg>}
      {err && <Msg kind="error">{err}</Msg>}
    </section>
  );
}

/** An admin sets another account's password (that account's sessions end at once). */
function ResetPassword({ id, username }: { id: number; username: string }) {
  const [pw, setPw] = useState("");
  const { msg, err, submit: save } = useSubmit(async () => {
    await call(() => api.staff({ id }).password.post({ password: pw }));
    setPw("");
    return t("common.saved");
  });
  return (
    <form class="row" onSubmit={save}>
      <Field label={`${t("set.newPassword")} (${username})`} value={pw} onInput={setPw} type="password" name={`pw-${id}`} autoComplete="new-password" required />
      <button type="submit">{t("set.setPassword")}</button>
      {msg && <span class="muted">{msg}</span>}
      {err && <Msg kind="error">{err}</Msg>}
    </form>
  );
}

function Audit() {
  const [offset, setOffset] = useState(0);
  const a = useLoad(() => call(() => api.audit.get({ query: { limit: 25, offset } })), [offset]);
  return (
    <section class="card" aria-labelledby="audit-h">
      <h2 id="audit-h">{t("set.audit")}</h2>
      <ErrorMsg error={a.error} />
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>{t("set.when")}</th>
              <th>{t("set.who")}</th>
              <th>{t("set.what")}</th>
            </tr>
          </thead>
          <tbody>
            {(a.data?.items ?? []).map((x) => (
              <tr key={x.id}>
                <td>{dateTime(x.at)}</td>
                <td>{x.actor}</td>
                <td>
                  <code>{x.action}</code> {x.entity} {x.entityId ?? ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {a.data && <Pager offset={offset} limit={25} total={a.data.total} onOffset={setOffset} />}
    </section>
  );
}
