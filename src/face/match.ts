/**
 * Matching a probe descriptor against enrolled templates (pure; no I/O).
 *
 * Rule (docs/face-login.md): per member, the best (smallest) Euclidean distance over their
 * templates. The closest member is recognised only when that distance is under `threshold` AND
 * the closest *other* member is at least `margin` further away. Otherwise it is ambiguous (two
 * members too close to call) or unknown; neither picks anyone.
 */

export const DESCRIPTOR_LENGTH = 128;
export const MAX_TEMPLATES_PER_MEMBER = 5;

export interface TemplateIndex {
  /** n × 128 floats, template after template */
  vectors: Float32Array;
  /** member id of each template */
  members: Int32Array;
  /** template id of each template */
  ids: Int32Array;
}

export function buildIndex(rows: readonly { id: number; memberId: number; descriptor: Float32Array }[]): TemplateIndex {
  const vectors = new Float32Array(rows.length * DESCRIPTOR_LENGTH);
  const members = new Int32Array(rows.length);
  const ids = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    vectors.set(r.descriptor.subarray(0, DESCRIPTOR_LENGTH), i * DESCRIPTOR_LENGTH);
    members[i] = r.memberId;
    ids[i] = r.id;
  });
  return { vectors, members, ids };
}

export interface Candidate {
  memberId: number;
  distance: number;
}

/**
 * Every member's best distance to the probe, closest first. `eligible` (active, existing members)
 * is asked lazily from the closest down, only until `want` eligible members are found, so a
 * status look-up runs for a handful of members, not for all of them.
 */
export function rankMembers(index: TemplateIndex, probe: ArrayLike<number>, eligible: (memberId: number) => boolean = () => true, want = 2): Candidate[] {
  const n = index.members.length;
  const best = new Map<number, number>();
  const v = index.vectors;
  const p = Float32Array.from(probe as ArrayLike<number>);
  for (let t = 0; t < n; t++) {
    const o = t * DESCRIPTOR_LENGTH;
    let s = 0;
    for (let k = 0; k < DESCRIPTOR_LENGTH; k++) {
      const d = v[o + k]! - p[k]!;
      s += d * d;
    }
    const m = index.members[t]!;
    const prev = best.get(m);
    if (prev === undefined || s < prev) best.set(m, s);
  }
  const all: Candidate[] = [];
  for (const [memberId, s] of best) all.push({ memberId, distance: s });
  all.sort((a, b) => a.distance - b.distance);
  const out: Candidate[] = [];
  for (const c of all) {
    if (!eligible(c.memberId)) continue;
    out.push({ memberId: c.memberId, distance: Math.sqrt(c.distance) });
    if (out.length >= want) break;
  }
  return out;
}

export type MatchDecision =
  | { kind: "member"; memberId: number; distance: number; next: number | null }
  | { kind: "ambiguous"; memberIds: number[]; distance: number; next: number }
  | { kind: "unknown"; distance: number | null };

export function decide(ranked: readonly Candidate[], threshold: number, margin: number): MatchDecision {
  const [first, second] = ranked;
  if (!first || first.distance >= threshold) return { kind: "unknown", distance: first?.distance ?? null };
  if (second && second.distance - first.distance < margin) {
    return { kind: "ambiguous", memberIds: [first.memberId, second.memberId], distance: first.distance, next: second.distance };
  }
  return { kind: "member", memberId: first.memberId, distance: first.distance, next: second?.distance ?? null };
}

/** 128 float32 little-endian (the stored BLOB) ↔ Float32Array. */
export function descriptorToBlob(d: ArrayLike<number>): Uint8Array {
  const f = Float32Array.from(d as ArrayLike<number>);
  const out = new Uint8Array(f.length * 4);
  const dv = new DataView(out.buffer);
  f.forEach((x, i) => dv.setFloat32(i * 4, x, true));
  return out;
}
export function blobToDescriptor(b: Uint8Array): Float32Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float32Array(b.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
  return out;
}
