/** The staff page: shell, navigation, sign-in state and the route table. */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, call, me, needLogin, type Me } from "./api.ts";
import { lang, setLang, t } from "./i18n/index.ts";
import { navigate, route } from "./router.ts";
import { LoginDialog, LoginForm, Setup } from "./views/auth.tsx";
import { Dashboard } from "./views/dashboard.tsx";
import { Push } from "./views/push.tsx";
import { Members } from "./views/members.tsx";
import { MemberPage } from "./views/member.tsx";
import { Report } from "./views/report.tsx";
import { Claims } from "./views/claims.tsx";
import { Devices } from "./views/devices.tsx";
import { Settings } from "./views/settings.tsx";
import { Account } from "./views/account.tsx";
import { ErrorMsg } from "./ui.tsx";

type Boot = "loading" | "setup" | "ready" | { error: unknown };

function View() {
  const { path } = route.value;
  let m: RegExpMatchArray | null;
  if (path === "/push") return <Push />;
  if (path === "/members") return <Members />;
  if ((m = path.match(/^\/members\/(\d+)$/))) return <MemberPage id={Number(m[1])} key={m[1]} />;
  if ((m = path.match(/^\/report\/(\d+)$/))) return <Report id={Number(m[1])} key={m[1]} />;
  if (path === "/claims") return <Claims />;
  if (path === "/devices") return <Devices />;
  if (path === "/settings") return <Settings />;
  if (path === "/account") return <Account />;
  return <Dashboard />;
}

const NAV: Array<[string, Parameters<typeof t>[0], boolean]> = [
  ["/", "nav.dashboard", false],
  ["/push", "nav.push", false],
  ["/members", "nav.members", false],
  ["/claims", "nav.claims", false],
  ["/devices", "nav.devices", false],
  ["/settings", "nav.settings", true],
];

function Shell() {
  const user = me.value!;
  const path = route.value.path;
  const logout = async () => {
    await call(() => api.auth.logout.post()).catch(() => undefined);
    me.value = null;
    navigate("/login", true);
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a href="/" class="brand">
          bodydock
        </a>
        <nav aria-label="main">
          {NAV.filter(([, , admin]) => !admin || user.role === "admin").map(([href, key]) => (
            <a key={href} href={href} aria-current={(href === "/" ? path === "/" : path.startsWith(href)) ? "page" : undefined}>
              {t(key)}
            </a>
          ))}
        </nav>
        <div class="who">
          <label class="sr" for="lang">
            {t("nav.language")}
          </label>
          <select id="lang" value={lang.value} onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value as "en" | "zh")}>
            <option value="en">English</option>
            <option value="zh">简体中文</option>
          </select>
          <a href="/account" class="muted">
            {t("nav.signedInAs", { user: user.username, role: user.role })}
          </a>
          <button type="button" onClick={logout}>
            {t("nav.signOut")}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <View />
      </main>
      {needLogin.value && <LoginDialog />}
    </>
  );
}

function Root() {
  const [boot, setBoot] = useState<Boot>("loading");
  useEffect(() => {
    (async () => {
      try {
        // Both at once: one round trip less before the first screen.
        const [s, who] = await Promise.all([
          call(() => api.auth.status.get()),
          call(() => api.auth.me.get()).catch((e: unknown) => {
            if (e instanceof ApiError && e.status === 401) return null;
            throw e;
          }),
        ]);
        if (s.setupRequired) return setBoot("setup");
        me.value = who as Me | null;
        setBoot("ready");
      } catch (e) {
        setBoot({ error: e });
      }
    })();
  }, []);
  useEffect(() => {
    // For bench/page.ts: the first screen is on the page with its handlers (Preact attaches them as it renders).
    if (boot !== "loading" && performance.getEntriesByName("bodydock:ready").length === 0) performance.mark("bodydock:ready");
  }, [boot]);
  void lang.value; // re-render everything when the language changes
  if (boot === "loading") return <p class="boot">{t("common.loading")}</p>;
  if (typeof boot === "object") return <ErrorMsg error={boot.error} />;
  if (boot === "setup") return <main class="center"><Setup onDone={() => setBoot("ready")} /></main>;
  if (!me.value) {
    return (
      <main class="center">
        <LoginForm />
      </main>
    );
  }
  if (route.value.path === "/login" || route.value.path === "/setup") navigate("/", true);
  return <Shell />;
}

render(<Root />, document.getElementById("app")!);
