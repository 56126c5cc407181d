/** Client routing on the History API: one signal holds the current location. */
import { signal } from "@preact/signals";

export const route = signal({ path: location.pathname, query: new URLSearchParams(location.search) });

export function navigate(href: string, replace = false): void {
  const u = new URL(href, location.origin);
  if (replace) history.replaceState(null, "", u);
  else history.pushState(null, "", u);
  route.value = { path: u.pathname, query: u.searchParams };
  window.scrollTo(0, 0);
}

addEventListener("popstate", () => {
  route.value = { path: location.pathname, query: new URLSearchParams(location.search) };
});

// Same-origin links navigate without a reload (unless modified clicks or downloads).
addEventListener("click", (e: MouseEvent) => {
  const a = (e.target as Element | null)?.closest?.("a");
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.target || a.hasAttribute("download") || a.origin !== location.origin || a.pathname.startsWith("/api/")) return;
  e.preventDefault();
  navigate(a.pathname + a.search + a.hash);
});
