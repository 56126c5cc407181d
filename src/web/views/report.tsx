/**
 * The one-page result sheet for one measurement, laid out like the professional sheets gyms
 * know (composition, muscle–fat, obesity, segmental, control, score, history). Prints on A4.
 * Field names are the report document's (computation-core §9, Yolanda names); standard ranges
 * are those of §10.
 */
import { api, call } from "../api.ts";
import { dateTime, dateTimeShort, noteText, num, t, tx } from "../i18n/index.ts";
import { ErrorMsg, memberLabel, useLoad } from "../ui.tsx";
import { rnum } from "./dashboard.tsx";

type Range = [number, number];

/** A bar with under / normal / over zones; the normal range fills the middle third. */
function Bar({ label, value, unit, range, digits = 1 }: { label: string; value: number | null; unit: string; range: Range | null; digits?: number }) {
  let pos = 50;
  let zone: "under" | "normal" | "over" = "normal";
  if (value != null && range) {
    const [lo, hi] = range;
    const w = hi - lo || 1;
    pos = ((value - (lo - w)) / (3 * w)) * 100;
    pos = Math.max(2, Math.min(98, pos));
    zone = value < lo ? "under" : value > hi ? "over" : "normal";
  }
  return (
    <div class="bar-row">
      <div class="bar-label">{label}</div>
      <div class="bar" role="img" aria-label={`${label} ${num(value, digits)} ${unit}${range ? ` (${num(range[0], digits)}–${num(range[1], digits)})` : ""}`}>
        <div class="zones">
          <span />
          <span />
          <span />
        </div>
        {value != null && <div class={`fill ${zone}`} style={{ width: `${pos}%` }} />}
      </div>
      <div class="bar-value">
        {num(value, digits)} {unit}
        {range && (
          <div class="muted small">
            {num(range[0], digits)}–{num(range[1], digits)}
          </div>
        )}
      </div>
    </div>
  );
}

function sinewRange(sex: string, h: number | null): Range | null {
  if (h == null || sex === "unspecified") return null;
  if (sex === "male") return h < 160 ? [38.5, 46.5] : h <= 170 ? [44.0, 52.4] : [49.4, 59.4];
  return h < 150 ? [29.1, 34.7] : h <= 160 ? [32.9, 37.5] : [36.5, 42.5];
}
const bfRange = (sex: string): Range | null => (sex === "male" ? [11, 21] : sex === "female" ? [21, 31] : null);
const waterRange = (sex: string): Range | null => (sex === "male" ? [55, 65] : sex === "female" ? [45, 60] : null);
const proteinRange = (sex: string): Range | null => (sex === "male" ? [16, 18] : sex === "female" ? [14, 16] : null);
function boneRange(sex: string, w: number): Range | null {
  if (sex === "male") return w <= 60 ? [2.3, 2.7] : w < 75 ? [2.7, 3.1] : [3.0, 3.4];
  if (sex === "female") return w <= 45 ? [1.6, 2.0] : w < 60 ? [2.0, 2.4] : [2.3, 2.7];
  return null;
}
const scale = (r: Range | null, w: number): Range | null => (r ? [(r[0] * w) / 100, (r[1] * w) / 100] : null);

/** The column heads over a group of bars. */
function ScaleHead() {
  return (
    <div class="bar-row head" aria-hidden="true">
      <div />
      <div class="zones-head">
        <span>{t("rep.under")}</span>
        <span>{t("rep.normal")}</span>
        <span>{t("rep.over")}</span>
      </div>
      <div />
    </div>
  );
}

/** Body type grid (computation-core §9.3 body_shape): rows fat high/standard/low, columns muscle low/standard/high. */
const SHAPES = [
  [1, 6, 7],
  [2, 4, 8],
  [3, 5, 9],
] as const;

function BodyType({ code }: { code: number | null }) {
  return (
    <table class="shape" aria-label={t("rep.bodyType")}>
      <thead>
        <tr>
          <th />
          <th>{t("rep.muscleLow")}</th>
          <th>{t("rep.muscleStd")}</th>
          <th>{t("rep.muscleHigh")}</th>
        </tr>
      </thead>
      <tbody>
        {SHAPES.map((row, i) => (
          <tr key={i}>
            <th>{t(i === 0 ? "rep.fatHigh" : i === 1 ? "rep.fatStd" : "rep.fatLow")}</th>
            {row.map((c) => (
              <td key={c} class={c === code ? "on" : ""} aria-current={c === code ? "true" : undefined}>
                {tx(`rep.shape${c}`, String(c))}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The gym's logo and name (uploaded by an admin under Settings) at the top of every sheet. */
export function GymHead() {
  const g = useLoad(() => call(() => api.gym.get()), []);
  if (!g.data || (!g.data.name && !g.data.hasLogo)) return null;
  return (
    <div class="gym-head">
      {g.data.hasLogo && <img src={`/api/v1/gym/logo?v=${g.data.logoVersion}`} alt="" class="gym-logo" />}
      {g.data.name && <span class="gym-name">{g.data.name}</span>}
    </div>
  );
}

const SEGMENTS = ["rightArm", "leftArm", "trunk", "rightLeg", "leftLeg"] as const;

export function Report({ id }: { id: number }) {
  const r = useLoad(() => call(() => api.measurements({ id }).get()), [id]);
  if (r.error) return <ErrorMsg error={r.error} />;
  if (!r.data) return <p>{t("common.loading")}</p>;
  const { measurement: m, member, history, ageAtMeasurement } = r.data;
  const rep = m.report as Record<string, unknown> | null;
  const g = (k: string) => rnum(rep, k);
  const W = g("weight") ?? m.weightKg;
  const sex = member?.sex ?? "unspecified";
  const H = member?.heightCm ?? null;
  const age = (rep && typeof rep.age === "number" ? rep.age : null) ?? ageAtMeasurement;
  const SW = g("standard_weight") ?? (H ? 22 * (H / 100) ** 2 : null);
  const fatKg = g("fat_weight");
  const waterKg = g("water_content") ?? (g("water") != null ? (W * g("water")!) / 100 : null);
  const proteinKg = g("protein_quality") ?? (g("protein") != null ? (W * g("protein")!) / 100 : null);
  const mineralKg = g("bone");
  const bmi = g("bmi") ?? (H ? W / (H / 100) ** 2 : null);
  const levels = (rep?.levels ?? null) as Record<string, string | null> | null;
  const segments = (rep?.segments ?? null) as Record<string, { muscle_kg: number; fat_kg: number; fat_rate: number }> | null;
  return (
    <article class="report" aria-labelledby="rep-h">
      <div class="no-print actions">
        <button type="button" class="primary" onClick={() => print()}>
          {t("common.print")}
        </button>
        {member && <a href={`/members/${member.id}`}>← {member.name}</a>}
      </div>
      <header class="rep-head">
        <GymHead />
        <h1 id="rep-h">{t("rep.title")}</h1>
        <dl class="facts inline">
          <dt>{t("meas.member")}</dt>
          <dd>{member ? memberLabel(member) : "–"}</dd>
          <dt>{t("rep.sex")}</dt>
          <dd>{t(`mem.${sex}`)}</dd>
          <dt>{t("rep.age")}</dt>
          <dd>{age ?? "–"}</dd>
          <dt>{t("rep.height")}</dt>
          <dd>{H ? `${num(H, 0)} cm` : "–"}</dd>
          <dt>{t("rep.date")}</dt>
          <dd>{dateTime(m.measuredAt)}</dd>
          <dt>{t("meas.device")}</dt>
          <dd>{m.device.name ?? m.device.model ?? tx(`src.${m.source}`, m.source)}</dd>
        </dl>
      </header>
      {!rep && <p class="msg info">{t("rep.noReport", { note: noteText(m.reportNote) })}</p>}
      {rep && rep.algorithm === "weight-only" && <p class="msg info">{t("rep.partial", { note: noteText(m.reportNote) })}</p>}
      <div class="rep-grid">
        <section class="rep-box" aria-labelledby="comp-h">
          <h2 id="comp-h">{t("rep.composition")}</h2>
          <table class="comp">
            <tbody>
              <tr>
                <th>{t("rep.water")}</th>
                <td>{num(waterKg)} kg</td>
                <td class="muted small">{scale(waterRange(sex), W)?.map((x) => num(x)).join("–") ?? ""}</td>
              </tr>
              <tr>
                <th>{t("rep.protein")}</th>
                <td>{num(proteinKg)} kg</td>
                <td class="muted small">{scale(proteinRange(sex), W)?.map((x) => num(x)).join("–") ?? ""}</td>
              </tr>
              <tr>
                <th>{t("rep.minerals")}</th>
                <td>{num(mineralKg, 2)} kg</td>
                <td class="muted small">{boneRange(sex, W)?.map((x) => num(x)).join("–") ?? ""}</td>
              </tr>
              <tr>
                <th>{t("rep.fat")}</th>
                <td>{num(fatKg)} kg</td>
                <td class="muted small">{scale(bfRange(sex), W)?.map((x) => num(x)).join("–") ?? ""}</td>
              </tr>
              <tr class="sum">
                <th>{t("rep.ffm")}</th>
                <td>{num(g("fat_free_weight"))} kg</td>
                <td />
              </tr>
              <tr class="sum">
                <th>{t("meas.weight")}</th>
                <td>{num(W, 2)} kg</td>
                <td class="muted small">{SW ? `${num(SW * 0.9)}–${num(SW * 1.1)}` : ""}</td>
              </tr>
            </tbody>
          </table>
        </section>
        <section class="rep-box side" aria-labelledby="score-h">
          <h2 id="score-h">{t("rep.score")}</h2>
          <p class="score">{num(g("score"), 0)}</p>
          {levels?.score && <p class="score-level">{tx(`lvl.${levels.score}`, levels.score)}</p>}
          <dl class="facts">
            <dt>{t("rep.bodyAge")}</dt>
            <dd>{num(g("bodyage"), 0)}</dd>
            <dt>{t("rep.bmr")}</dt>
            <dd>{g("bmr") == null ? "–" : `${num(g("bmr"), 0)} kcal`}</dd>
            <dt>{t("rep.visfat")}</dt>
            <dd>{num(g("visfat"))}</dd>
            <dt>{t("rep.skeletal")}</dt>
            <dd>{g("skeletal_muscle_mass") == null ? "–" : `${num(g("skeletal_muscle_mass"))} kg`}</dd>
          </dl>
        </section>
        <section class="rep-box wide" aria-labelledby="mf-h">
          <h2 id="mf-h">{t("rep.muscleFat")}</h2>
          <ScaleHead />
          <Bar label={t("meas.weight")} value={W} unit="kg" range={SW ? [SW * 0.9, SW * 1.1] : null} />
          <Bar label={t("meas.muscle")} value={g("sinew")} unit="kg" range={sinewRange(sex, H)} />
          <Bar label={t("rep.fat")} value={fatKg} unit="kg" range={scale(bfRange(sex), W)} />
        </section>
        <section class="rep-box wide" aria-labelledby="ob-h">
          <h2 id="ob-h">{t("rep.obesity")}</h2>
          <ScaleHead />
          <Bar label={t("rep.bmi")} value={bmi} unit="kg/m²" range={[18.5, 25]} />
          <Bar label={t("rep.pbf")} value={g("bodyfat")} unit="%" range={bfRange(sex)} />
        </section>
        {segments && (
          <section class="rep-box wide" aria-labelledby="seg-h">
            <h2 id="seg-h">{t("rep.segmental")}</h2>
            <table class="seg">
              <thead>
                <tr>
                  <th />
                  {SEGMENTS.map((s) => (
                    <th key={s}>{t(`rep.${s}`)}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                <tr>
                  <th>{t("rep.segLean")}</th>
                  {SEGMENTS.map((s) => (
                    <td key={s}>{num(segments[s]?.muscle_kg)}</td>
                  ))}
                </tr>
                <tr>
                  <th>{t("rep.segFat")}</th>
                  {SEGMENTS.map((s) => (
                    <td key={s}>
                      {num(segments[s]?.fat_kg)} <span class="muted small">({num(segments[s]?.fat_rate)} %)</span>
                    </td>
                  ))}
                </tr>
              </tbody>
            </table>
          </section>
        )}
        {g("body_shape") != null && (
          <section class="rep-box wide" aria-labelledby="shape-h">
            <h2 id="shape-h">{t("rep.bodyType")}</h2>
            <BodyType code={g("body_shape")} />
          </section>
        )}
        <section class="rep-box" aria-labelledby="ctl-h">
          <h2 id="ctl-h">{t("rep.control")}</h2>
          <dl class="facts">
            <dt>{t("rep.targetWeight")}</dt>
            <dd>{SW == null ? "–" : `${num(SW)} kg`}</dd>
            <dt>{t("rep.weightControl")}</dt>
            <dd>{signed(g("weight_control"))}</dd>
            <dt>{t("rep.fatControl")}</dt>
            <dd>{signed(g("fat_control"))}</dd>
            <dt>{t("rep.muscleControl")}</dt>
            <dd>{signed(g("muscle_control"))}</dd>
          </dl>
        </section>
        <section class="rep-box" aria-labelledby="hist2-h">
          <h2 id="hist2-h">{t("rep.history")}</h2>
          <table class="hist">
            <thead>
              <tr>
                <th>{t("rep.date")}</th>
                <th>{t("meas.weight")}</th>
                <th>{t("meas.bodyfat")}</th>
                <th>{t("meas.muscle")}</th>
              </tr>
            </thead>
            <tbody>
              {history.map((h) => (
                <tr key={h.id} class={h.id === m.id ? "current" : ""}>
                  <td class="nowrap">{dateTimeShort(h.measuredAt)}</td>
                  <td>{num(h.weightKg)}</td>
                  <td>{num(rnum(h.report, "bodyfat"))}</td>
                  <td>{num(rnum(h.report, "sinew"))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
      <footer class="rep-foot muted small">
        {tx(`src.${m.source}`, m.source)} · bodydock
      </footer>
    </article>
  );
}

function signed(v: number | null): string {
  if (v == null) return "–";
  return `${v > 0 ? "+" : ""}${num(v)} kg`;
}
