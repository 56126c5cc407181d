/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/):
 *   webhook-id:        the event id (the same on every retry, so receivers can de-duplicate)
 *   webhook-timestamp: integer seconds since the epoch, of this attempt
 *   webhook-signature: space-separated `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`
 * The secret is `whsec_<base64 of the key bytes>`. During a secret rotation the old and the new
 * secret both sign, so a receiver that knows either one accepts the message.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SECRET_PREFIX = "whsec_";

/** A new secret: 24 random bytes (Standard Webhooks asks for 24–64). */
export function newSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString("base64");
}

/** The key bytes of a `whsec_…` secret, or null when it is not one (too short, not base64). */
export function secretKey(secret: string): Buffer | null {
  if (!secret.startsWith(SECRET_PREFIX)) return null;
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return null;
  const key = Buffer.from(b64, "base64");
  return key.length >= 24 && key.length <= 64 ? key : null;
}

export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = secretKey(secret);
  if (!key) throw new Error("not a whsec_ secret");
  return "v1," + createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`).digest("base64");
}

/** The webhook-signature header value: one `v1,…` per secret, space-separated. */
export function signatureHeader(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  return secrets.map((s) => sign(s, id, timestampSeconds, body)).join(" ");
}

/**
 * A receiver's check (used by the tests' receiver and shown in docs/integrations.md): true when one
 * of the header's v1 signatures is `secret`'s and the timestamp is within `toleranceSeconds` of now.
 */
export function verify(secret: string, headers: Headers, body: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const id = headers.get("webhook-id");
  const ts = headers.get("webhook-timestamp");
  const sigs = headers.get("webhook-signature");
  if (!id || !ts || !sigs || !/^\d+$/.test(ts)) return false;
  if (Math.abs(nowSeconds - Number(ts)) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, id, Number(ts), body).slice(3), "base64");
  for (const part of sigs.split(" ")) {
    const [version, value] = part.split(",", 2);
    if (version !== "v1" || !value) continue;
    const got = Buffer.from(value, "base64");
    if (got.length === expected.length && timingSafeEqual(got, expected)) return true;
  }
  return false;
}
