/**
 * The first-run setup token: in memory only, one per running server, until an admin account exists.
 * Built once by the composition root (runtime.ts) and reached as `deps.setupTokens`.
 */
import type { StaffRepo } from "../store/staff-repo.ts";

export class SetupTokens {
  private token: string | null = null;

  constructor(private readonly staff: StaffRepo) {}

  /**
   * The one-time setup token while no admin account has ever been made, else null.
   * Setup is over for good once any admin exists (even a disabled one: recover with
   * `bodydock staff add --role admin` or `bodydock staff enable`).
   */
  current(): string | null {
    if (this.staff.anyAdmin()) {
      this.token = null;
      return null;
    }
    this.token ??= Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64url");
    return this.token;
  }

  /** Setup is done: the token is spent. */
  spend(): void {
    this.token = null;
  }
}
