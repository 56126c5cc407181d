/** Standard Webhooks signatures, checked against the reference libraries' published test vector. */
import { describe, expect, test } from "bun:test";
import { newSecret, secretKey, sign, signatureHeader, verify } from "../../src/integrations/signature.ts";

// From standard-webhooks' own tests (libraries/*: verifyWebhookSignWorks).
const KEY = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS = 1614265330;
const BODY = '{"test": 2432232314}';

describe("Standard Webhooks signatures", () => {
  test("the reference test vector", () => {
    expect(sign(KEY, ID, TS, BODY)).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  test("verify: any listed v1 signature, within the timestamp tolerance", () => {
    const other = newSecret();
    const headers = new Headers({ "webhook-id": ID, "webhook-timestamp": String(TS), "webhook-signature": signatureHeader([other, KEY], ID, TS, BODY) });
    expect(headers.get("webhook-signature")!.split(" ")).toHaveLength(2);
    expect(verify(KEY, headers, BODY, TS + 10)).toBe(true);
    expect(verify(other, headers, BODY, TS + 10)).toBe(true);
    expect(verify(newSecret(), headers, BODY, TS + 10)).toBe(false);
    expect(verify(KEY, headers, BODY + " ", TS)).toBe(false);
    expect(verify(KEY, headers, BODY, TS + 301)).toBe(false);
  });

  test("secrets are whsec_ and 24–64 bytes", () => {
    expect(newSecret()).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(secretKey(newSecret())?.length).toBe(24);
    expect(secretKey("whsec_short")).toBeNull();
    expect(secretKey("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toBeNull();
  });
});
