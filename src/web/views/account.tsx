/** Who am I, and changing one's own password (every other session of the account ends). */
import { useState } from "preact/hooks";
import { api, call, me } from "../api.ts";
import { t } from "../i18n/index.ts";
import { Field, Msg, useSubmit } from "../ui.tsx";

export function Account() {
  const user = me.value!;
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const { msg, err, submit: save } = useSubmit(async () => {
    if (next !== again) throw t("auth.mismatch");
    await call(() => api.staff({ id: user.id }).password.post({ password: next, currentPassword: current }));
    setCurrent("");
    setNext("");
    setAgain("");
    return t("acct.changed");
  });
  return (
    <div class="stack">
      <h1>{t("acct.title")}</h1>
      <section class="card">
        <dl class="facts">
          <dt>{t("auth.username")}</dt>
          <dd>{user.username}</dd>
          <dt>{t("set.role")}</dt>
          <dd>{user.role}</dd>
        </dl>
      </section>
      <form class="card narrow" onSubmit={save} aria-labelledby="pw-h">
        <h2 id="pw-h">{t("acct.password")}</h2>
        <Field label={t("acct.current")} value={current} onInput={setCurrent} type="password" name="current-password" autoComplete="current-password" required />
        <Field label={t("set.newPassword")} value={next} onInput={setNext} type="password" name="new-password" autoComplete="new-password" required />
        <Field label={t("auth.passwordAgain")} value={again} onInput={setAgain} type="password" name="new-password-again" autoComplete="new-password" required />
        <button type="submit" class="primary">
          {t("set.setPassword")}
        </button>
        {msg && <Msg kind="ok">{msg}</Msg>}
        {err && <Msg kind="error">{err}</Msg>}
      </form>
    </div>
  );
}
