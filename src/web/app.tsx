/** The staff page: shell, navigation, sign-in state and the route table. */
import { render, type ComponentChildren, type ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, call, me, needLogin, type Me } from "./api.ts";
import { lang, setLang, t } from "./i18n/index.ts";
import { navigate, route } from "./router.ts";
import { LoginDialog, LoginForm, Setup } from "./views/auth.tsx";
import { Dashboard } from "./views/dashboard.tsx";
import { ErrorMsg } from "./ui.tsx";
import { announceScan, installScanner } from "./scan.ts";
// uPlot's few rules go into the page's one stylesheet (lazy chunks would otherwise get CSS of their own).
import "uplot/dist/uPlot.min.css";

/**
 * A view loaded on first use (its own chunk, bun build --splitting): the first screen
 * (sign-in or dashboard) does not wait for the code of the others.
 */
function lazyView<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  let loading: Promise<ComponentType<P>> | null = null;
  return function Lazy(props: P) {
    const [, setReady] = useState(0);
    const [error, setError] = useState<unknown>(null);
    useEffect(() => {
      if (loaded) return;
      let live = true;
      (loading ??= load()).then(
        (c) => {
          loaded = c;
          if (live) setReady((n) => n + 1);
        },
        (e) => {
          loading = null;
          if (live) setError(e);
        },
      );
      return () => void (live = false);
    }, []);
    if (loaded) {
      const C = loaded;
      return <C {...props} />;
    }
    return error ? <ErrorMsg error={error} /> : <p class="boot">{t("common.loading")}</p>;
  };
}

const Push = lazyView(() => import("./views/push.tsx").then((m) => m.Push));
const Members = lazyView(() => import("./views/members.tsx").then((m) => m.Members));
const MemberPage = lazyView<{ id: number }>(() => import("./views/member.tsx").then((m) => m.MemberPage));
const Report = lazyView<{ id: number }>(() => import("./views/report.tsx").then((m) => m.Report));
const Claims = lazyView(() => import("./views/claims.tsx").then((m) => m.Claims));
const Devices = lazyView(() => import("./views/devices.tsx").then((m) => m.Devices));
const Settings = lazyView(() => import("./views/settings.tsx").then((m) => m.Settings));
const Account = lazyView(() => import("./views/account.tsx").then((m) => m.Account));
const Compare = lazyView<{ id: number }>(() => import("./views/compare.tsx").then((m) => m.Compare));
const Installer = lazyView(() => import("./views/installer.tsx").then((m) => m.Installer));

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
  if ((m = path.match(/^\/compare\/(\d+)$/))) return <Compare id={Number(m[1])} key={m[1]} />;
  if (path === "/installer") return <Installer />;
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

function LangSelect() {
  return (
    <>
      <label class="sr" for="lang">
        {t("nav.language")}
      </label>
      <select id="lang" value={lang.value} onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value as "en" | "zh")}>
        <option value="en">English</option>
        <option value="zh">简体中文</option>
      </select>
    </>
  );
}

/** Sign-in and setup: centred, with the language choice above. */
function Center({ children }: { children: ComponentChildren }) {
  return (
    <main class="center">
      <div class="stack">
        <div class="lang-corner">
          <LangSelect />
        </div>
        {children}
      </div>
    </main>
  );
}

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
        {t("nav.skip")}
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
          <LangSelect />
          <a href="/account" class="muted">
            {t("nav.signedInAs", { user: user.username, role: t(`role.${user.role}`) })}
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
  if (boot === "setup")
    return (
      <Center>
        <Setup onDone={() => setBoot("ready")} />
      </Center>
    );
  if (!me.value) {
    return (
      <Center>
        <LoginForm />
      </Center>
    );
  }
  if (route.value.path === "/login" || route.value.path === "/setup") navigate("/", true);
  return <Shell />;
}

// A card read while no field has focus, on any view, opens the push page with that card's member.
installScanner((code) => {
  if (!me.value || needLogin.value) return;
  announceScan(code);
  if (route.value.path !== "/push") navigate("/push");
});

render(<Root />, document.getElementById("app")!);
