/** First-run setup and sign-in (a page, or a dialog over the current view when a session ends). */
import { useState } from "preact/hooks";
import { api, call, errorText, loggedIn, me, type Me } from "../api.ts";
import { t } from "../i18n/index.ts";
import { navigate, route } from "../router.ts";
import { Field, Msg } from "../ui.tsx";

async function signIn(username: string, password: string): Promise<void> {
  const r = await call(() => api.auth.login.post({ username, password }));
  loggedIn({ id: r.id, username: r.username, role: r.role } as Me);
}

export function LoginForm({ expired }: { expired?: boolean }) {
  // The session-expired box: the same person signs in again, so their username is filled in.
  const [username, setUsername] = useState(expired ? (me.value?.username ?? "") : "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username, password);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card narrow" onSubmit={submit} aria-labelledby="login-title">
      <h1 id="login-title">{t("auth.signInTitle")}</h1>
      {expired && <Msg kind="info">{t("auth.expired")}</Msg>}
      <Field label={t("auth.username")} value={username} onInput={setUsername} name="username" autoComplete="username" required autoFocus={!username} />
      <Field label={t("auth.password")} value={password} onInput={setPassword} name="password" type="password" autoComplete="current-password" required autoFocus={!!username} />
      {error && <Msg kind="error">{error}</Msg>}
      <button type="submit" class="primary" disabled={busy}>
        {t("auth.signIn")}
      </button>
    </form>
  );
}

export function LoginDialog() {
  return (
    <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="login-title">
      <LoginForm expired />
    </div>
  );
}

export function Setup({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState(route.value.query.get("token") ?? "");
  const [username, setUsername] = useState("admin");
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (password !== again) return setError(t("auth.mismatch"));
    setBusy(true);
    setError(null);
    try {
      await call(() => api.auth.setup.post({ token: token.trim(), username, password }));
      // setup signs the new admin in (sets the session cookie)
      loggedIn((await call(() => api.auth.me.get())) as Me);
      onDone();
      navigate("/", true);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card narrow" onSubmit={submit} aria-labelledby="setup-title">
      <h1 id="setup-title">{t("auth.setupTitle")}</h1>
      <p>{t("auth.setupIntro")}</p>
      <Field label={t("auth.setupToken")} value={token} onInput={setToken} name="token" required autoComplete="off" />
      <Field label={t("auth.username")} value={username} onInput={setUsername} name="username" autoComplete="username" required />
      <Field label={t("auth.password")} value={password} onInput={setPassword} name="password" type="password" autoComplete="new-password" required />
      <Field label={t("auth.passwordAgain")} value={again} onInput={setAgain} name="password2" type="password" autoComplete="new-password" required />
      {error && <Msg kind="error">{error}</Msg>}
      <button type="submit" class="primary" disabled={busy}>
        {t("auth.createAdmin")}
      </button>
    </form>
  );
}
