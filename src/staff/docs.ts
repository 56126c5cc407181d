/**
 * The API description for integrators (issue 4 §9), made from the route schemas:
 *   GET /api/docs/openapi.json   OpenAPI 3.1 of /api/v1 (built once, on first request, from the app's routes)
 *   GET /api/docs                a self-contained page that lists it (no CDN, no external script or style)
 * Both are public (on the guard's PUBLIC_PATHS): they describe the API, they grant nothing.
 */
import { createHash } from "node:crypto";
import { toOpenAPISchema } from "@elysiajs/openapi";
import { Elysia, type AnyElysia } from "elysia";
import type { Deps } from "../deps.ts";
import { PUBLIC_PATHS, SESSION_COOKIE } from "./guard.ts";
import { SCOPES, scopeFor } from "./api-keys.ts";

export function openApiDocument(app: AnyElysia, version: string) {
  const { paths, components } = toOpenAPISchema(app, { paths: [/^(?!\/api\/v1\/)/], staticFile: false, methods: ["options", "head"] }, undefined, undefined, "3.1.0");
  for (const [path, ops] of Object.entries(paths as Record<string, Record<string, Record<string, unknown>>>)) {
    const open = PUBLIC_PATHS.has(path);
    for (const [method, op] of Object.entries(ops)) {
      if (open) op.security = [];
      // Routes an API key may call say which scope it needs (staff/api-keys.ts KEY_ROUTES).
      const scope = scopeFor(method.toUpperCase(), path.replace(/\{[^}]+\}/g, "1"));
      if (scope) op.security = [{ apiKey: [scope] }, { session: [] }];
      // Every error has one shape; say so once per operation.
      const responses = (op.responses ??= {}) as Record<string, unknown>;
      responses.default ??= { description: "Error: {error: {code, message, field?}}", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
    }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "bodydock staff API",
      version,
      description:
        "Everything staff do goes through this JSON API. Sign in with POST /api/v1/auth/login: the answer sets an HttpOnly session cookie " +
        `(${SESSION_COOKIE}). State-changing requests (POST, PUT, PATCH, DELETE) must send an Origin header matching the Host. ` +
        "401: no valid session; 403: wrong Origin, or the route needs an admin; 422: validation (the field is named in error.field). " +
        "The gym's own systems use an API key instead (Authorization: Bearer bd_…; no cookie, no Origin): see the apiKey security scheme.",
    },
    servers: [{ url: "/" }],
    tags: [
      ...["auth", "staff", "members", "member sync", "integrations"].map((name) => ({ name })),
      {
        name: "faces",
        description:
          "Face login for the XONE (face_image), recognised on the box with the member's recorded consent. Only a 128-number template and a 96 px " +
          "thumbnail are stored, never an image; unrecognised device attempts stay in memory for 10 minutes. No liveness check. See docs/face-login.md. " +
          "XONE 人脸登录（face_image），在盒子上离线识别，需记录会员同意。只保存 128 维特征模板和 96 像素缩略图，从不保存图片；未识别的设备记录仅在内存中保留 10 分钟。无活体检测。",
      },
      ...["audit", "claims", "devices", "youjiu", "yolanda"].map((name) => ({ name })),
    ],
    paths,
    components: {
      ...(components as object),
      schemas: {
        ...((components as { schemas?: object }).schemas ?? {}),
        Error: {
          type: "object",
          required: ["error"],
          properties: { error: { type: "object", required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" }, field: { type: "string" } } } },
        },
      },
      securitySchemes: {
        session: { type: "apiKey", in: "cookie", name: SESSION_COOKIE },
        apiKey: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "bd_<43 characters>",
          description:
            "An API key for the gym's own systems: `Authorization: Bearer bd_…`. Admins create keys on the Settings page or with " +
            "`bodydock apikey add --name NAME --scopes a,b` (shown once, stored hashed). No cookie and no Origin header are needed. " +
            `A key opens only the routes whose security names one of its scopes (${SCOPES.join(", ")}); anything else is 403. ` +
            "401: unknown or revoked key; 429 with Retry-After: over the key's requests-a-minute limit. Every use is audited with actor apikey:<name>.",
        },
      },
    },
    security: [{ session: [] }],
  };
}

export const docsPlugin = (deps: Deps, root: () => AnyElysia) => {
  let cached: string | null = null;
  const json = () => (cached ??= JSON.stringify(openApiDocument(root(), deps.version)));
  return new Elysia({ name: "api-docs" })
    .get("/api/docs/openapi.json", () => new Response(json(), { headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" } }), {
      detail: { hide: true },
    })
    .get("/api/docs", () => new Response(DOCS_PAGE, { headers: DOCS_HEADERS }), {
      detail: { hide: true },
    });
};

/** The CSP hash source of an inline element's exact text. */
function cspHash(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/**
 * The viewer's one inline script and one inline style are allowed by their hashes, not by
 * 'unsafe-inline': an injected script or style would not run. It cannot be framed (issue 13, point 10).
 */
export function docsHeaders(page: string): Record<string, string> {
  const script = /<script>([\s\S]*?)<\/script>/.exec(page)![1]!;
  const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1]!;
  const csp = [
    "default-src 'none'",
    `script-src ${cspHash(script)}`,
    `style-src ${cspHash(style)}`,
    "connect-src 'self'",
    "img-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": csp,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
  };
}

/** A small viewer: paths, methods, summaries, parameters and schemas, rendered from openapi.json in the browser. */
const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>bodydock API</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c9cfdb;max-width:70em}
main{padding:16px 24px;max-width:1100px}a{color:#2457c5}
input{font:inherit;padding:6px 10px;width:320px;border:1px solid #c5cad3;border-radius:6px}
h2{font-size:16px;margin:22px 0 8px;text-transform:capitalize}
details{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:6px 0}
summary{cursor:pointer;padding:8px 12px;display:flex;gap:10px;align-items:baseline}
.m{font:600 12px ui-monospace,monospace;text-transform:uppercase;min-width:56px;text-align:center;border-radius:4px;padding:2px 6px;color:#fff}
.get{background:#2d7ff9}.post{background:#18a058}.put{background:#c98a00}.patch{background:#8a5cd6}.delete{background:#d03050}
code,pre{font:13px ui-monospace,monospace}.p{font-family:ui-monospace,monospace}.s{color:#5b6473}.pub{font-size:12px;color:#18a058;border:1px solid #18a058;border-radius:4px;padding:0 4px}
.body{padding:4px 14px 12px;border-top:1px solid #eef0f3}pre{background:#f3f4f7;padding:8px;border-radius:4px;overflow:auto;max-height:420px}
table{border-collapse:collapse}td,th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
</style></head><body>
<header><h1>bodydock staff API</h1><p id="intro">Loading <a href="/api/docs/openapi.json">openapi.json</a>…</p></header>
<main><p><input id="filter" placeholder="Filter by path or summary" autofocus> · <a href="/api/docs/openapi.json">openapi.json</a></p><div id="ops"></div></main>
<script>
(async function () {
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const doc = await (await fetch("/api/docs/openapi.json")).json();
  document.getElementById("intro").textContent = doc.info.description;
  const schemas = (doc.components && doc.components.schemas) || {};
  const resolve = (s) => (s && s.$ref ? schemas[s.$ref.split("/").pop()] || s : s);
  const json = (s) => esc(JSON.stringify(resolve(s), null, 2));
  const groups = {};
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags && op.tags[0]) || "other";
      (groups[tag] = groups[tag] || []).push({ path, method, op });
    }
  }
  let html = "";
  for (const [tag, list] of Object.entries(groups)) {
    html += "<section><h2>" + esc(tag) + "</h2>";
    for (const { path, method, op } of list) {
      const pub = op.security && op.security.length === 0 ? ' <span class="pub">public</span>' : "";
      let body = "";
      if (op.description) body += "<p>" + esc(op.description) + "</p>";
      if (op.parameters && op.parameters.length) {
        body += "<h4>Parameters</h4><table>" + op.parameters.map((p) => "<tr><td><code>" + esc(p.name) + "</code></td><td>" + esc(p.in) + (p.required ? ", required" : "") + "</td><td><code>" + esc(JSON.stringify(p.schema)) + "</code></td></tr>").join("") + "</table>";
      }
      const rb = op.requestBody && op.requestBody.content;
      if (rb) for (const [type, c] of Object.entries(rb)) body += "<h4>Request body <code>" + esc(type) + "</code></h4><pre>" + json(c.schema) + "</pre>";
      for (const [status, r] of Object.entries(op.responses || {})) {
        const c = r.content && Object.values(r.content)[0];
        body += "<h4>Response " + esc(status) + "</h4>" + (c && c.schema ? "<pre>" + json(c.schema) + "</pre>" : "<p>" + esc(r.description || "") + "</p>");
      }
      html += '<details data-k="' + esc((path + " " + (op.summary || "")).toLowerCase()) + '"><summary><span class="m ' + esc(method) + '">' + esc(method) + '</span><span class="p">' + esc(path) + '</span><span class="s">' + esc(op.summary || "") + "</span>" + pub + '</summary><div class="body">' + body + "</div></details>";
    }
    html += "</section>";
  }
  document.getElementById("ops").innerHTML = html;
  document.getElementById("filter").addEventListener("input", (e) => {
    const q = e.target.value.toLowerCase();
    for (const d of document.querySelectorAll("details")) d.style.display = d.dataset.k.includes(q) ? "" : "none";
  });
})();
</script></body></html>`;

const DOCS_HEADERS = docsHeaders(DOCS_PAGE);
