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
  const prune = () =>
    deps.writes
      .enqueue(() => deps.repos.outbox.prune(deps.now() - deps.settings.get("webhooks.retentionDays") * 24 * HOUR))
      .catch((e) => deps.log.error("outbox pruning failed", { error: (e as Error).message }));
  void prune();
  const pruning = setInterval(prune, HOUR);
  pruning.unref?.();
  return async () => {
    clearInterval(sweep);
    clearInterval(pruning);
    await sender.stop();
  };
}
