/**
 * Issue 13, point 9: redaction by allow-list. Known protocol fields are kept verbatim; any other
 * key that looks like a credential is masked, in bodies, forms, query strings and headers.
 */
import { describe, expect, test } from "bun:test";
import { redactHeaders, redactTarget, redactText, redactValue } from "../../src/devices/common/redact.ts";
import { runtimePerTest } from "../helpers.ts";

const CREDENTIAL_KEYS = ["passwd", "psk", "wifiPwd", "wifi_pass", "token", "x-token", "secret", "apiKey", "api_key", "client_secret", "authToken", "sessionId", "wifiPassword", "Password", "pin"];

describe("redactValue / redactText / redactTarget", () => {
  test("credential-like keys are masked; known fields are kept verbatim; other unknown fields are kept", () => {
    const body: Record<string, unknown> = { sn: "S1", mac: "AA:BB", weight: 70.5, impedance: 500, wifiSsid: "GymNet", newFirmwareField: "kept" };
    for (const k of CREDENTIAL_KEYS) body[k] = `SECRET-${k}`;
    const out = redactValue({ ...body, nested: [{ ...body }] }) as Record<string, unknown>;
    for (const k of CREDENTIAL_KEYS) {
      expect({ k, v: out[k] }).toEqual({ k, v: "[redacted]" });
      expect({ k, v: (out.nested as Array<Record<string, unknown>>)[0]![k] }).toEqual({ k, v: "[redacted]" });
    }
    expect(out).toMatchObject({ sn: "S1", mac: "AA:BB", weight: 70.5, impedance: 500, wifiSsid: "GymNet", newFirmwareField: "kept" });
    // Yolanda's hmac is a known field: kept, although it is hex like a secret.
    expect(redactValue({ hmac: "ABCDEF0123" })).toEqual({ hmac: "ABCDEF0123" });
  });

  test("raw text that is not JSON: the same keys, also in truncated and form bodies", () => {
    const text = CREDENTIAL_KEYS.map((k) => `"${k}":"SECRET-${k}"`).join(",");
    const out = redactText(`{"sn":"S1",${text},"weight":70`);
    expect(out).not.toContain("SECRET");
    expect(out).toContain('"sn":"S1"');
    // A credential with no complete value (cut off, or a number): the text ends after the key.
    expect(redactText('{"sn":"1","psk":"abc')).toBe('{"sn":"1","psk"');
    expect(redactText('{"sn":"1","pin":1234,"weight":70}')).toBe('{"sn":"1","pin"');
    const form = redactText(CREDENTIAL_KEYS.map((k) => `${encodeURIComponent(k)}=SECRET-${k}`).join("&") + "&sn=S1");
    expect(form).not.toContain("SECRET");
    expect(form).toEndWith("&sn=S1");
  });

  test("query strings", () => {
    const t = redactTarget("/youjiu/tokens?sn=S1&secret=abc&x-token=t1&wifi_pass=p&psk=k&scene=body");
    expect(t).toBe("/youjiu/tokens?sn=S1&secret=[redacted]&x-token=[redacted]&wifi_pass=[redacted]&psk=[redacted]&scene=body");
  });

  test("headers: credential-like ones masked (a JWT keeps header and payload), ordinary ones kept", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzbiI6IlMxIn0.c2lnbmF0dXJl";
    const h = redactHeaders(
      new Headers({
        host: "box:8080",
        "content-type": "application/json",
        "user-agent": "XONE/1.0",
        token: jwt,
        "x-token": jwt,
        "x-api-key": "k-123",
        "x-auth-secret": "s-123",
        "x-wifi-psk": "p-123",
        authorization: "Basic dXNlcjpwYXNz",
        cookie: "a=b",
        "x-device-model": "XONE",
      }),
    );
    expect(h).toEqual({
      host: "box:8080",
      "content-type": "application/json",
      "user-agent": "XONE/1.0",
      token: "eyJhbGciOiJIUzI1NiJ9.eyJzbiI6IlMxIn0.[sig]",
      "x-token": "eyJhbGciOiJIUzI1NiJ9.eyJzbiI6IlMxIn0.[sig]",
      "x-api-key": "[redacted]",
      "x-auth-secret": "[redacted]",
      "x-wifi-psk": "[redacted]",
      authorization: "Basic [redacted]",
      cookie: "[redacted]",
      "x-device-model": "XONE",
    });
  });
});

describe("captures of real requests", () => {
  const fresh = runtimePerTest();
  const paths = ["/lefu/wifi/torre/register", "/lefu/wifi/record", "/lefu/wifi/batchUpload", "/youjiu/activate", "/youjiu/third_user", "/wsp-mini/measurements"];

  for (const path of paths) {
    test(`${path}: no credential-like value is stored in any table, from body, query or headers`, async () => {
      const h = fresh({ logLevel: "warn" });
      h.rt.settings.set("yolanda.mini.jwtSecret", "s".repeat(32), "test");
      const body: Record<string, unknown> = { sn: "S1", mac: "AA:BB:CC:DD:EE:FF", weight: 70, timestamp: 1762430000, type: "id", value: "M001" };
      for (const k of CREDENTIAL_KEYS) body[k] = `SECRET-${k}`;
      const query = "?wifi_pass=SECRET-q1&psk=SECRET-q2";
      for (const text of [JSON.stringify(body), JSON.stringify(body).slice(0, -30), `{"list":[${JSON.stringify(body)}], // comment\n}`]) {
        await h.app.handle(
          new Request(`http://box${path}${query}`, { method: "POST", headers: { "x-token": "SECRET-h1", "x-api-key": "SECRET-h2", "x-wifi-psk": "SECRET-h3" }, body: text }),
        );
      }
      const tables = (h.rt.db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name);
      for (const t of tables) {
        const dump = JSON.stringify(h.rt.db.query(`SELECT * FROM "${t}"`).all());
        expect({ table: t, leaked: dump.match(/SECRET-[\w-]+/g) ?? [] }).toEqual({ table: t, leaked: [] });
      }
      const captured = h.rt.db.query("SELECT COUNT(*) AS n FROM captures").get() as { n: number };
      expect(captured.n).toBe(3);
    });
  }
});
