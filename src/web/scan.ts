/**
 * Card readers at the desk: a USB reader "types" the card number within a few milliseconds per
 * key and presses Enter. A burst is at least 4 printable keys each under FAST_MS apart, ended by
 * Enter. When no text field has focus, the burst is a scan (onScan); inside a field (the push
 * page's search box) `lastBurst()` tells the field which part of its text the reader typed.
 */
export const FAST_MS = 50;
const MIN_LEN = 4;

let buf = "";
let last = 0;
let burst = "";

export function isEditable(el: Element | null): boolean {
  if (!el) return false;
  const tag = el.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") {
    const type = (el as HTMLInputElement).type;
    return !["button", "submit", "reset", "checkbox", "radio", "file", "range", "color"].includes(type);
  }
  return (el as HTMLElement).isContentEditable === true;
}

/** The reader's text from the last Enter, if that Enter ended a burst (else ""). */
export function lastBurst(): string {
  return burst;
}

export function installScanner(onScan: (code: string) => void): void {
  addEventListener(
    "keydown",
    (e: KeyboardEvent) => {
      if (e.ctrlKey || e.altKey || e.metaKey) {
        buf = "";
        return;
      }
      const now = e.timeStamp || performance.now();
      if (e.key === "Enter") {
        burst = buf.length >= MIN_LEN && now - last < FAST_MS * 2 ? buf : "";
        buf = "";
        if (burst && !isEditable(e.target as Element | null)) {
          // Not into a focused button or link: the scan replaces what Enter would have done.
          e.preventDefault();
          e.stopPropagation();
          onScan(burst);
        }
        return;
      }
      if (e.key.length === 1) {
        if (now - last > FAST_MS) buf = "";
        buf += e.key;
        last = now;
      } else if (e.key !== "Shift") buf = "";
    },
    true,
  );
}

import { signal } from "@preact/signals";
/** The last scan made while no field had focus, until the push page takes it. */
export const scanned = signal<{ text: string; nonce: number } | null>(null);
let nonce = 0;
export function announceScan(text: string): void {
  scanned.value = { text, nonce: ++nonce };
}
