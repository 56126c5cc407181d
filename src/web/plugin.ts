/**
 * Serves the staff page: the Bun HTML import `./index.html` (Preact + signals + uPlot),
 * bundled into the binary by `bun build --compile`.
 *
 * - Compiled binary: the HTML import has `files` (index HTML, JS and CSS chunks in /$bunfs);
 *   the HTML refers to them as `/chunk-<hash>.<ext>`. We serve them ourselves rather than
 *   through Bun.serve's `routes`, so that every answer carries our security headers and a
 *   gzip body when the browser accepts it (the page weighs what it weighs compressed).
 * - From source (`bun src/main.ts`, tests): the same HTML is bundled once, lazily, with
 *   Bun.build (minified), on the first page request.
 *
 * The page answers GET for its client routes (CLIENT_ROUTES: `/`, `/members/42`, `/report/7`,
 * `/setup?token=…`) and its chunks; everything else stays a JSON 404. Device routers answer
 * before this in onRequest hooks, so their paths never reach it.
 */
import { Elysia } from "elysia";
import { basename } from "node:path";
import type { Deps } from "../deps.ts";
import { jsonError } from "../http/errors.ts";
import page from "./index.html";

export const SECURITY_HEADERS: Record<string, string> = {
  // uPlot sets inline style attributes (element.style), which CSP style-src does not govern when
  // done from script through the CSSOM; no 'unsafe-inline' is needed.
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

interface Asset {
  type: string;
  body: Uint8Array;
  gzip: Uint8Array;
  etag: string;
  /** Hashed names are immutable; the HTML is not. */
  immutable: boolean;
}

async function makeAsset(bytes: Uint8Array, type: string, immutable: boolean): Promise<Asset> {
  const hash = new Bun.CryptoHasher("sha1").update(bytes).digest("base64url").slice(0, 16);
  return { type, body: bytes, gzip: Bun.gzipSync(bytes as Uint8Array<ArrayBuffer>, { level: 9 }), etag: `"${hash}"`, immutable };
}

/** The bundle: "/" → the HTML, "/chunk-….js" → a chunk. */
async function loadAssets(): Promise<Map<string, Asset>> {
  const map = new Map<string, Asset>();
  if (page.files && page.files.length) {
    for (const f of page.files) {
      const bytes = new Uint8Array(await Bun.file(f.path).arrayBuffer());
      const isHtml = f.loader === "html";
      map.set(isHtml ? "/" : "/" + basename(f.path), await makeAsset(bytes, f.headers["content-type"], !isHtml));
    }
    return map;
  }
  const built = await Bun.build({ entrypoints: [page.index], minify: true, target: "browser", publicPath: "/", splitting: true });
  if (!built.success) throw new Error("the staff page does not build: " + built.logs.map((l) => l.message).join("; "));
  for (const o of built.outputs) {
    const bytes = new Uint8Array(await o.arrayBuffer());
    const isHtml = o.path.endsWith(".html");
    map.set(isHtml ? "/" : "/" + basename(o.path), await makeAsset(bytes, o.type, !isHtml));
  }
  return map;
}

/** The page's client routes: an explicit list, so no device path or /api route is ever shadowed. */
export const CLIENT_ROUTES = ["/", "/setup", "/login", "/push", "/members", "/members/:id", "/report/:id", "/compare/:id", "/claims", "/devices", "/settings", "/account", "/installer"];

export const webPlugin = (_deps: Deps) => {
  let assets: Promise<Map<string, Asset>> | null = null;

  const serve = async (request: Request, path: string): Promise<Response> => {
    assets ??= loadAssets();
    const map = await assets;
    const asset = map.get(path);
    if (!asset) return jsonError(404, "not_found", "no such endpoint", {}, SECURITY_HEADERS);
    const headers: Record<string, string> = {
      "content-type": asset.type,
      etag: asset.etag,
      "cache-control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
      vary: "accept-encoding",
      ...SECURITY_HEADERS,
    };
    if (request.headers.get("if-none-match") === asset.etag) return new Response(null, { status: 304, headers });
    const gz = /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
    if (gz) headers["content-encoding"] = "gzip";
    return new Response(request.method === "HEAD" ? null : ((gz ? asset.gzip : asset.body) as Uint8Array<ArrayBuffer>), { headers });
  };

  const app = new Elysia({ name: "web-page" });
  for (const route of CLIENT_ROUTES) app.get(route, ({ request }) => serve(request, "/"));
  // Bundled chunks: /chunk-<hash>.js|css (and any asset the bundler names the same way).
  return app.get("/:asset", ({ request, params, set }) => {
    if (!/^[\w.-]+\.(js|css|svg|png|woff2|map)$/.test(params.asset)) {
      set.status = 404;
      return jsonError(404, "not_found", "no such endpoint");
    }
    return serve(request, "/" + params.asset);
  });
};
