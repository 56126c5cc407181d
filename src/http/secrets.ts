/** Comparing and fingerprinting shared secrets: the one place that does it. */
import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Constant-time equality of two secrets. Both are hashed first, so the time does not
 * depend on where they differ nor on their lengths.
 */
export function safeEqual(a: string, b: string): boolean {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y) && a === b;
}

/** SHA-256 of a secret, hex: what is kept of a secret that must be recognised but never used again. */
export function secretHash(secret: string): string {
  return createHash("sha256").update("bodydock-secret\0" + secret).digest("hex");
}
