/**
 * WSP-Lite reports (device-protocols §3.7.2). A WSP-Lite relay sends weight and
 * hmac only; once staff assign such a weighing to a member, bodydock asks the
 * relay to compute the report for that member:
 *
 *   POST <yolanda.relay.liteUrl>/yolanda/wsp/reports        {weight, height, age, gender, hmac}
 *   POST <yolanda.relay.liteUrl>/yolanda/wsp/eight_reports  … plus fit_hmac (the member's previous
 *                                                           8-electrode hmac, else the same one)
 *   → {"code":0,"data":{"reports":{…}},"msg":"ok"}; an error is {"code":10002,…}
 *
 * This runs as a background job, never inside a device request. A failed call
 * is retried with a growing delay (kept in memory; a restart retries at once).
 */
import { ageOn } from "../../core/age.ts";
import type { Deps } from "../../deps.ts";
import type { LitePending } from "../../store/lite-reports-repo.ts";

const BATCH = 20;
const TIMEOUT_MS = 5000;
const FIRST_RETRY_MS = 60_000;
const MAX_RETRY_MS = 6 * 3600_000;

export class LiteReports {
  /** id → earliest next attempt (epoch ms) and the delay used last. */
  private readonly backoff = new Map<number, { next: number; delay: number }>();
  private running = false;

  constructor(
    private readonly deps: Deps,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  /** One pass: asks the relay for up to BATCH reports. Returns how many were stored. */
  async runOnce(): Promise<number> {
    const base = this.deps.settings.get("yolanda.relay.liteUrl");
    if (!base || this.running) return 0;
    this.running = true;
    try {
      const now = this.deps.now();
      let stored = 0;
      for (const p of this.deps.repos.liteReports.pending(BATCH * 5)) {
        const b = this.backoff.get(p.id);
        if (b && b.next > now) continue;
        if (stored >= BATCH) break;
        const outcome = await this.one(base.replace(/\/+$/, ""), p);
        if (outcome === "stored") {
          this.backoff.delete(p.id);
          stored++;
        } else {
          const delay = Math.min(MAX_RETRY_MS, b ? b.delay * 2 : FIRST_RETRY_MS);
          this.backoff.set(p.id, { next: now + delay, delay });
          await this.deps.writes.enqueue(() => this.deps.repos.liteReports.note(p.id, `no report yet: ${outcome}`));
        }
      }
      return stored;
    } finally {
      this.running = false;
    }
  }

  private async one(base: string, p: LitePending): Promise<"stored" | string> {
    if (p.sex !== "male" && p.sex !== "female") return "the member's sex is not set";
    if (p.height_cm === null) return "the member's height is not set";
    // The member's age on the gym's calendar date of the weighing (core/age.ts).
    const age = p.birthday ? ageOn(p.birthday, p.measured_at, this.deps.settings.get("gym.timeZone")) : null;
    if (age === null) return "the member's birthday is not set";
    const body: Record<string, unknown> = { weight: p.weight_kg, height: p.height_cm, age, gender: p.sex === "male" ? 1 : 0, hmac: p.hmac };
    if (p.eight_electrode) body.fit_hmac = this.deps.repos.liteReports.previousEightHmac(p.member_id, p.measured_at, p.id) ?? p.hmac;
    const url = `${base}/yolanda/wsp/${p.eight_electrode ? "eight_reports" : "reports"}`;
    let answer: { code?: unknown; data?: { reports?: unknown }; msg?: unknown };
    try {
      const res = await this.fetchFn(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      answer = (await res.json()) as typeof answer;
    } catch (e) {
      this.deps.log.warn("yolanda: WSP-Lite report call failed", { measurementId: p.id, error: (e as Error).message });
      return "the WSP-Lite relay did not answer";
    }
    const reports = answer?.data?.reports;
    if (answer?.code !== 0 || reports === null || typeof reports !== "object") {
      this.deps.log.warn("yolanda: WSP-Lite relay refused a report", { measurementId: p.id, code: answer?.code ?? null });
      return `the WSP-Lite relay answered code ${JSON.stringify(answer?.code ?? null)}`;
    }
    // The report and its report.computed event in one write job (store/lite-reports-repo.ts).
    const changed = await this.deps.writes.enqueue(() =>
      this.deps.repos.liteReports.store(p.id, p.member_id, { ...(reports as object), source: "wsp-lite" }, this.deps.now()),
    );
    return changed ? "stored" : "the weighing changed meanwhile";
  }

  /** Runs every `ms` until stopped; the timer does not keep the process alive. */
  start(ms = 30_000): () => void {
    const tick = () => void this.runOnce().catch((e) => this.deps.log.error("yolanda: WSP-Lite reports failed", { error: (e as Error).message }));
    const timer = setInterval(tick, ms);
    timer.unref();
    tick();
    return () => clearInterval(timer);
  }
}
