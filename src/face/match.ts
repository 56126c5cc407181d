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

/** The index keeps a member's templates next to each other (sorted by member), so ranking needs no map. */
export function buildIndex(rows: readonly { id: number; memberId: number; descriptor: Float32Array }[]): TemplateIndex {
  const sorted = [...rows].sort((a, b) => a.memberId - b.memberId || a.id - b.id);
  const vectors = new Float32Array(sorted.length * DESCRIPTOR_LENGTH);
  const members = new Int32Array(sorted.length);
  const ids = new Int32Array(sorted.length);
  sorted.forEach((r, i) => {
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
  const v = index.vectors;
  const p = Float32Array.from(probe as ArrayLike<number>);
  // Squared distances; one entry per member (templates are grouped by member in the index).
  const bestMember: number[] = [];
  const bestDist: number[] = [];
  let current = -1;
  for (let t = 0; t < n; t++) {
    const o = t * DESCRIPTOR_LENGTH;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = 0; k < DESCRIPTOR_LENGTH; k += 4) {
      const d0 = v[o + k]! - p[k]!, d1 = v[o + k + 1]! - p[k + 1]!, d2 = v[o + k + 2]! - p[k + 2]!, d3 = v[o + k + 3]! - p[k + 3]!;
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    const s = s0 + s1 + s2 + s3;
    const m = index.members[t]!;
    if (m !== current) {
      current = m;
      bestMember.push(m);
      bestDist.push(s);
    } else if (s < bestDist[bestDist.length - 1]!) bestDist[bestDist.length - 1] = s;
  }
  const order = Array.from(bestDist.keys()).sort((a, b) => bestDist[a]! - bestDist[b]!);
  const out: Candidate[] = [];
  for (const i of order) {
    if (!eligible(bestMember[i]!)) continue;
    out.push({ memberId: bestMember[i]!, distance: Math.sqrt(bestDist[i]!) });
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
