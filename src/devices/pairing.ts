/**
 * The pairing window (Zigbee2MQTT's "permit join"): while staff keep it open, a
 * device bodydock does not know yet is admitted on first contact (a Youjiu
 * analyzer gets a secret, a Lefu scale is approved). It is kept in memory only:
 * a restart closes it, which is the safe side.
 */
export const PAIRING_MAX_MINUTES = 60;

export interface PairingState {
  open: boolean;
  /** Epoch ms when the window closes, or null when it is closed. */
  until: number | null;
  openedBy: string | null;
}

export class Pairing {
  private until: number | null = null;
  private openedBy: string | null = null;

  constructor(private readonly now: () => number) {}

  open(minutes: number, by: string): PairingState {
    const m = Math.min(Math.max(minutes, 1), PAIRING_MAX_MINUTES);
    this.until = this.now() + m * 60_000;
    this.openedBy = by;
    return this.state();
  }
  close(): PairingState {
    this.until = null;
    this.openedBy = null;
    return this.state();
  }
  isOpen(now = this.now()): boolean {
    return this.until !== null && now < this.until;
  }
  state(now = this.now()): PairingState {
    const open = this.isOpen(now);
    return { open, until: open ? this.until : null, openedBy: open ? this.openedBy : null };
  }
}
