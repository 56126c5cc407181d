/** First vs latest: one A4 sheet with the change of each main figure between a member's first and latest measurement. */
import { api, call } from "../api.ts";
import { dateTime, num, t } from "../i18n/index.ts";
import { ErrorMsg, memberLabel, useLoad } from "../ui.tsx";
import { rnum } from "./dashboard.tsx";
import { GymHead } from "./report.tsx";

/** [label key, report field (or "weight"), unit, digits, whether lower is better] */
const FIGURES: Array<[Parameters<typeof t>[0], string, string, number, boolean | null]> = [
  ["meas.weight", "weight", "kg", 1, null],
  ["rep.bmi", "bmi", "kg/m²", 1, true],
  ["rep.pbf", "bodyfat", "%", 1, true],
  ["rep.fat", "fat_weight", "kg", 1, true],
  ["meas.muscle", "sinew", "kg", 1, false],
  ["rep.skeletal", "skeletal_muscle_mass", "kg", 1, false],
  ["rep.visfat", "visfat", "", 1, true],
  ["rep.water", "water", "%", 1, false],
  ["rep.bmr", "bmr", "kcal", 0, false],
  ["rep.bodyAge", "bodyage", "", 0, true],
  ["rep.score", "score", "", 0, false],
];

type M = { measuredAt: number; weightKg: number; report: Record<string, unknown> | null };
const value = (m: M, k: string) => (k === "weight" ? m.weightKg : rnum(m.report, k));

export function Compare({ id }: { id: number }) {
  const r = useLoad(() => call(() => api.members({ id }).compare.get()), [id]);
  if (r.error) return <ErrorMsg error={r.error} />;
  if (!r.data) return <p>{t("common.loading")}</p>;
  const { member, first, latest } = r.data;
  return (
    <article class="report compare" aria-labelledby="cmp-h">
      <div class="no-print actions">
        <button type="button" class="primary" onClick={() => print()}>
          {t("common.print")}
        </button>
        <a href={`/members/${member.id}`}>← {member.name}</a>
      </div>
      <header class="rep-head">
        <GymHead />
        <h1 id="cmp-h">{t("cmp.title")}</h1>
        <dl class="facts inline">
          <dt>{t("meas.member")}</dt>
          <dd>{memberLabel(member)}</dd>
          <dt>{t("cmp.first")}</dt>
          <dd>{first ? dateTime(first.measuredAt) : "–"}</dd>
          <dt>{t("cmp.latest")}</dt>
          <dd>{latest ? dateTime(latest.measuredAt) : "–"}</dd>
        </dl>
      </header>
      {!first || !latest || first.measuredAt === latest.measuredAt ? (
        <p class="msg info">{t("cmp.needTwo")}</p>
      ) : (
        <table class="cmp-table">
          <thead>
            <tr>
              <th />
              <th class="r">{t("cmp.first")}</th>
              <th class="r">{t("cmp.latest")}</th>
              <th class="r">{t("cmp.change")}</th>
            </tr>
          </thead>
          <tbody>
            {FIGURES.map(([key, field, unit, digits, lowerBetter]) => {
              const a = value(first, field);
              const b = value(latest, field);
              if (a == null && b == null) return null;
              const d = a != null && b != null ? b - a : null;
              const good = d == null || lowerBetter == null || Math.abs(d) < 10 ** -digits / 2 ? "" : (d < 0) === lowerBetter ? "better" : "worse";
              return (
                <tr key={field} data-figure={field}>
                  <th>{t(key)}</th>
                  <td class="r">
                    {num(a, digits)} {unit}
                  </td>
                  <td class="r">
                    {num(b, digits)} {unit}
                  </td>
                  <td class={`r change ${good}`}>
                    {d == null ? "–" : `${d > 0 ? "+" : d < 0 ? "−" : "±"}${num(Math.abs(d), digits)} ${unit}`}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <footer class="rep-foot muted small">bodydock</footer>
    </article>
  );
}
