/**
 * Starts what integrations run in the background (issue 17): the webhook sender, the
 * device.offline timer and the hourly outbox pruning. main.ts calls it; tests start a
 * WebhookSender of their own with short delays.
 */
import type { Deps } from "../deps.ts";
import { WebhookSender, type SenderOptions } from "./sender.ts";

const HOUR = 3600_000;

export function startIntegrations(deps: Deps, opts: Partial<SenderOptions> = {}): () => Promise<void> {
  const sender = new WebhookSender(deps, opts).start();
  const presence = deps.presence;
  const sweep = setInterval(() => presence.sweep().catch((e) => deps.log.error("device.offline sweep failed", { error: (e as Error).message })), 60_000);
  sweep.unref?.();
  // In batches that let device writes through (store/retention.ts), at most one run at a time.
  let pruneRunning = false;
  const prune = () => {
    if (pruneRunning) return;
    pruneRunning = true;
    deps.repos.retention
      .pruneOutbox(deps.writes, deps.now() - deps.settings.get("webhooks.retentionDays") * 24 * HOUR)
      .catch((e) => {
        if (!/write queue is closed/.test((e as Error).message)) deps.log.error("outbox pruning failed", { error: (e as Error).message });
      })
      .finally(() => (pruneRunning = false));
  };
  prune();
  const pruning = setInterval(prune, HOUR);
  pruning.unref?.();
  return async () => {
    clearInterval(sweep);
    clearInterval(pruning);
    await sender.stop();
  };
}
