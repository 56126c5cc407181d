/**
 * Face login state of one app instance: the settings, the in-memory matching index (rebuilt
 * when templates change), the unrecognised device attempts of the last 10 minutes (memory only:
 * descriptor + 96 px thumbnail, never the image) and image analysis through the face worker.
 * The staff API and the Youjiu plugin share one FaceService per Deps (deps.face).
 */
import type { Deps } from "../deps.ts";
import { FacesRepo } from "../store/faces-repo.ts";
import type { FaceResult } from "./engine.ts";
import { imageBytes, type ImageRejection } from "./image.ts";
import { buildIndex, decide, rankMembers, type MatchDecision, type TemplateIndex } from "./match.ts";
import { FaceWorkerError, faceWorker, type FaceWorker } from "./worker-client.ts";

export const RECENT_ATTEMPT_MS = 10 * 60 * 1000;
export const MAX_RECENT_ATTEMPTS = 50;

export type Analysis =
  | { kind: "face"; face: FaceResult }
  | { kind: "no_face" }
  | { kind: "bad_image"; reason: ImageRejection | "decode_failed" }
  | { kind: "unavailable"; reason: "busy" | "timeout" | "engine_failed" };

export interface RecentAttempt {
  id: string;
  at: number;
  sn: string | null;
  deviceName: string | null;
  descriptor: number[];
  thumbnailJpeg: Uint8Array;
  /** why it was not recognised */
  outcome: "unknown" | "ambiguous";
}

export class FaceService {
  readonly repo: FacesRepo;
  private index: TemplateIndex | null = null;
  private indexSignature = "";
  private readonly recentAttempts = new Map<string, RecentAttempt>();

  constructor(
    private readonly deps: Deps,
    private readonly worker: FaceWorker = faceWorker(),
  ) {
    this.repo = deps.repos.faces;
  }

  enabled(): boolean {
    return this.deps.settings.get("face.enabled");
  }
  threshold(): number {
    return this.deps.settings.get("face.threshold");
  }
  margin(): number {
    return this.deps.settings.get("face.margin");
  }

  /** Image string (data URL or bare base64) → the largest face's descriptor and thumbnail. Never throws. */
  async analyse(value: string): Promise<Analysis> {
    const img = imageBytes(value);
    if (!img.ok) return { kind: "bad_image", reason: img.reason };
    try {
      const face = await this.worker.describe(img.bytes);
      return face ? { kind: "face", face } : { kind: "no_face" };
    } catch (e) {
      if (e instanceof FaceWorkerError && e.code === "decode_failed") return { kind: "bad_image", reason: "decode_failed" };
      const reason = e instanceof FaceWorkerError && (e.code === "busy" || e.code === "timeout") ? e.code : "engine_failed";
      this.deps.log.warn("face: analysis failed", { reason, error: e instanceof Error ? e.message : String(e) });
      return { kind: "unavailable", reason };
    }
  }

  private currentIndex(): TemplateIndex {
    const sig = this.repo.signature();
    if (!this.index || sig !== this.indexSignature) {
      this.index = buildIndex(this.repo.all());
      this.indexSignature = sig;
    }
    return this.index;
  }

  /**
   * The matching rule over the templates of active members (docs/face-login.md). A suspended or
   * deleted member is dropped before ranking, so they neither match nor make a match ambiguous.
   */
  match(descriptor: ArrayLike<number>): MatchDecision {
    const status = new Map<number, boolean>();
    const eligible = (id: number) => {
      let ok = status.get(id);
      if (ok === undefined) status.set(id, (ok = this.repo.memberStatus(id) === "active"));
      return ok;
    };
    return decide(rankMembers(this.currentIndex(), descriptor, eligible), this.threshold(), this.margin());
  }

  /** Remembers an unrecognised device attempt for 10 minutes (memory only) so staff can enrol it. */
  remember(a: Omit<RecentAttempt, "id" | "at">): RecentAttempt {
    this.prune();
    const attempt: RecentAttempt = { ...a, id: crypto.randomUUID(), at: this.deps.now() };
    this.recentAttempts.set(attempt.id, attempt);
    while (this.recentAttempts.size > MAX_RECENT_ATTEMPTS) this.recentAttempts.delete(this.recentAttempts.keys().next().value!);
    return attempt;
  }

  /** Unrecognised attempts of the last 10 minutes, newest first. */
  recent(): RecentAttempt[] {
    this.prune();
    return [...this.recentAttempts.values()].reverse();
  }
  attempt(id: string): RecentAttempt | null {
    this.prune();
    return this.recentAttempts.get(id) ?? null;
  }
  forget(id: string): void {
    this.recentAttempts.delete(id);
  }
  forgetAll(): void {
    this.recentAttempts.clear();
  }

  private prune(): void {
    const cutoff = this.deps.now() - RECENT_ATTEMPT_MS;
    for (const [id, a] of this.recentAttempts) if (a.at < cutoff) this.recentAttempts.delete(id);
  }
}

