/** Settings (admin): Yolanda WSP Mini, XONE token mode and other device settings, retention, staff accounts, audit log. */
import { useState } from "preact/hooks";
import { api, call, errorText, me, postBytes } from "../api.ts";
import { dateTime, num, t, tx } from "../i18n/index.ts";
import { ErrorMsg, Field, Msg, Pager, Select, useId, useLoad, useSubmit } from "../ui.tsx";
import { Integrations } from "./integrations.tsx";
import { FacePurge } from "./faces.tsx";

export function Settings() {
  if (me.value?.role !== "admin") return <p class="msg error">403</p>;
  return (
    <div class="stack">
      <h1>{t("set.title")}</h1>
      <Gym />
      <YolandaMini />
      <General />
      <Integrations />
      <FacePurge />
      <Staff />
      <Audit />
    </div>
  );
}

/** The gym's name and logo (stored in the database), heading every printed sheet. */
function Gym() {
  const g = useLoad(() => call(() => api.gym.get()), []);
  const [name, setName] = useState<string | null>(null);
  const fileId = useId();
  const [logoErr, setLogoErr] = useState<string | null>(null);
  const [logoMsg, setLogoMsg] = useState<string | null>(null);
  const { msg, err, submit: save } = useSubmit(async () => {
    const wanted = (name ?? g.data?.name ?? "").trim() || null;
    if (wanted === (g.data?.name ?? null)) return t("set.unchanged");
    const r = await call(() => api.gym.put({ name: wanted }));
    g.reload();
    return r.name === wanted ? t("common.saved") : t("set.unchanged");
  });
  const upload = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const f = input.files?.[0];
    input.value = "";
    setLogoErr(null);
    setLogoMsg(null);
    if (!f) return;
    try {
      await call(() => postBytes(`/api/v1/gym/logo`, f, f.type || "application/octet-stream", "PUT"));
      g.reload();
      setLogoMsg(t("common.saved"));
    } catch (x) {
      setLogoErr(errorText(x));
    }
  };
  const removeLogo = async () => {
    try {
      await call(() => api.gym.logo.delete());
      g.reload();
    } catch (x) {
      setLogoErr(errorText(x));
    }
  };
  return (
    <section class="card" aria-labelledby="gym-h">
      <h2 id="gym-h">{t("gym.title")}</h2>
      <p class="muted">{t("gym.intro")}</p>
      <form class="row" onSubmit={save}>
        <Field label={t("gym.name")} value={name ?? g.data?.name ?? ""} onInput={setName} name="gym-name" />
        <button type="submit">{t("common.save")}</button>
        {msg && <span class="muted">{msg}</span>}
      </form>
      {err && <Msg kind="error">{err}</Msg>}
      <div class="row">
        {g.data?.hasLogo && <img class="gym-logo" src={`/api/v1/gym/logo?v=${g.data.logoVersion}`} alt={t("gym.logo")} />}
        <div class="field">
          <label for={fileId}>{t("gym.logo")}</label>
          <input id={fileId} type="file" accept="image/png,image/jpeg" onChange={upload} />
          <small class="hint">{t("gym.logoHint")}</small>
        </div>
        {g.data?.hasLogo && (
          <button type="button" onClick={removeLogo}>
            {t("gym.removeLogo")}
          </button>
        )}
      </div>
      {logoMsg && <Msg kind="ok">{logoMsg}</Msg>}
      {logoErr && <Msg kind="error">{logoErr}</Msg>}
    </section>
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

/** An option's words: scenes by their names, the rest from set.opt.*. */
const optionLabel = (key: string, v: string) => (key === "youjiu.defaultPushScene" ? tx(`scene.${v}`, v) : tx(`set.opt.${v}`, v));

/**
 * One setting in words: a human label and a one-line explanation in the page's language, the raw
 * key small (for the README and support). Saving says "Saved." only when the server stored a change.
 */
function SettingRow({ s, onSaved }: { s: SettingView; onSaved: () => void }) {
  const [v, setV] = useState(s.value == null ? "" : String(s.value));
  const kind = typeof s.value === "boolean" ? "bool" : typeof s.value === "number" ? "num" : "text";
  const id = useId();
  const { msg, err, submit: save } = useSubmit(async () => {
    const value = kind === "bool" ? v === "true" : kind === "num" ? Number(v) : v.trim() === "" ? null : v.trim();
    if (JSON.stringify(value) === JSON.stringify(s.value ?? null)) return t("set.unchanged");
    const r = await call(() => api.settings({ key: s.key }).put({ value }));
    onSaved();
    return JSON.stringify(r.value) === JSON.stringify(value) ? t("common.saved") : t("set.unchanged");
  });
  const label = tx(`setk.${s.key}`, s.key);
  const help = tx(`seth.${s.key}`, s.description);
  return (
    <form class="setting" onSubmit={save} aria-describedby={id}>
      <div class="row">
        {kind === "bool" ? (
          <Select label={label} value={v} onChange={setV} options={[["true", t("set.on")], ["false", t("set.off")]]} name={s.key} />
        ) : CHOICES[s.key] ? (
          <Select label={label} value={v} onChange={setV} options={CHOICES[s.key]!.map((c) => [c, optionLabel(s.key, c)])} name={s.key} />
        ) : (
          <Field label={label} value={v} onInput={setV} name={s.key} inputMode={kind === "num" ? "decimal" : undefined} />
        )}
        <button type="submit">{t("common.save")}</button>
        {msg && <span class="muted">{msg}</span>}
      </div>
      <p class="hint" id={id}>
        {help} <code class="key">{s.key}</code>
      </p>
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
              <td>{t(`role.${s.role}`)}</td>
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
        <Select label={t("set.role")} value={role} onChange={(v) => setRole(v as "staff" | "admin")} options={[["staff", t("role.staff")], ["admin", t("role.admin")]]} name="role" />
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

const KINDS = ["member.", "credential.", "claim.", "device.", "staff.", "setting.", "youjiu.", "yolanda.", "gym."] as const;

/** One audit entry as a sentence ("王芳 imported a member file: 30 new …"), people and devices by name. */
export function auditSentence(x: { actor: string; action: string; words: Record<string, string | number> }): string {
  const w: Record<string, string | number> = { ...x.words };
  if (typeof w.weight === "number") w.weight = num(w.weight, 2);
  if (typeof w.key === "string") w.key = tx(`setk.${w.key}`, w.key);
  if (typeof w.role === "string") w.role = tx(`role.${w.role}`, w.role);
  const actor = x.actor === "cli" ? t("audit.cli") : x.actor === "system" ? t("audit.system") : x.actor;
  return tx(`audit.a.${x.action}`, t("audit.other", { actor, action: x.action }), { ...w, actor });
}

function Audit() {
  const [offset, setOffset] = useState(0);
  const [actor, setActor] = useState("");
  const [kind, setKind] = useState("");
  const actors = useLoad(() => call(() => api.audit.actors.get()), []);
  const a = useLoad(() => call(() => api.audit.get({ query: { limit: 25, offset, actor: actor || undefined, action: kind || undefined } })), [offset, actor, kind]);
  return (
    <section class="card" aria-labelledby="audit-h">
      <h2 id="audit-h">{t("set.audit")}</h2>
      <div class="row">
        <Select
          label={t("set.filterActor")}
          name="audit-actor"
          value={actor}
          onChange={(v) => {
            setOffset(0);
            setActor(v);
          }}
          options={[["", t("set.anyone")], ...(actors.data?.actors ?? []).map((x): [string, string] => [x, x])]}
        />
        <Select
          label={t("set.filterKind")}
          name="audit-kind"
          value={kind}
          onChange={(v) => {
            setOffset(0);
            setKind(v);
          }}
          options={[["", t("set.anything")], ...KINDS.map((k): [string, string] => [k, t(`audit.k.${k}`)])]}
        />
      </div>
      <ErrorMsg error={a.error} />
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>{t("set.when")}</th>
              <th>{t("set.what")}</th>
            </tr>
          </thead>
          <tbody>
            {(a.data?.items ?? []).map((x) => (
              <tr key={x.id} data-action={x.action}>
                <td class="nowrap">{dateTime(x.at)}</td>
                <td>{auditSentence(x)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {a.data && a.data.total === 0 && <p class="muted">{t("common.none")}</p>}
      {a.data && <Pager offset={offset} limit={25} total={a.data.total} onOffset={setOffset} />}
    </section>
  );
}
