/**
 * Measures face descriptor distances on the real photos shipped with @vladmandic/face-api
 * (six photos, 22 faces): same face under transformations vs different faces. The numbers chose
 * the defaults of face.threshold and face.margin (docs/face-login.md).
 *   bun bench/face-distances.ts
 */
import { allFaces, distance, faceImage, type Transform } from "../test/face/photos.ts";
import { decodeRgba } from "../src/face/image.ts";
import { describeLargest } from "../src/face/engine.ts";

const faces = await allFaces();
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!; };
const fmt = (x: number) => x.toFixed(3);

const diff: number[] = [];
for (let i = 0; i < faces.length; i++) for (let j = i + 1; j < faces.length; j++) diff.push(distance(faces[i]!.descriptor, faces[j]!.descriptor));
console.log(`different faces: ${diff.length} pairs of ${faces.length} faces; min ${fmt(Math.min(...diff))} p1 ${fmt(pct(diff, 1))} p5 ${fmt(pct(diff, 5))} median ${fmt(pct(diff, 50))}`);

const same: Record<string, number[]> = {};
const nearestOther: number[] = [];
const marginOk: number[] = [];
for (const f of faces) {
  for (const t of ["crop", "mirror", "dark", "small", "jpeg-low"] as Transform[]) {
    const r = await describeLargest(await decodeRgba(await faceImage(f, t)));
    if (!r) { console.log(`${f.id} ${t}: no face found`); continue; }
    const d = distance(r.descriptor, f.descriptor);
    (same[t] ??= []).push(d);
    const others = faces.filter((o) => o.id !== f.id).map((o) => distance(r.descriptor, o.descriptor));
    const other = Math.min(...others);
    nearestOther.push(other);
    marginOk.push(other - d);
  }
}
const all = Object.values(same).flat();
for (const [t, xs] of Object.entries(same)) console.log(`same face, ${t.padEnd(8)}: n=${xs.length} median ${fmt(pct(xs, 50))} max ${fmt(Math.max(...xs))}`);
console.log(`same face, all: n=${all.length} min ${fmt(Math.min(...all))} median ${fmt(pct(all, 50))} p95 ${fmt(pct(all, 95))} max ${fmt(Math.max(...all))}`);
console.log(`transformed probe vs nearest other face: min ${fmt(Math.min(...nearestOther))} p5 ${fmt(pct(nearestOther, 5))}`);
console.log(`gap (nearest other - own): min ${fmt(Math.min(...marginOk))} p5 ${fmt(pct(marginOk, 5))} median ${fmt(pct(marginOk, 50))}`);
