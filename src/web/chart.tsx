/**
 * A small uPlot line chart (one series over time). uPlot is loaded on first use (its own
 * chunk, built with --splitting), so the first screen does not wait for it.
 */
import { useEffect, useRef } from "preact/hooks";
import type uPlot from "uplot";

let loading: Promise<typeof uPlot> | null = null;
const loadUplot = () => (loading ??= import("uplot").then((m) => m.default));
import { dateOnly, dateTime, num, t } from "./i18n/index.ts";

export function TrendChart({ title, unit, points, color, from }: { title: string; unit: string; points: Array<[number, number]>; color: string; from: number }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current || points.length === 0) return;
    let plot: uPlot | null = null;
    let live = true;
    void loadUplot().then((UPlot) => {
      if (!live || !el.current) return;
      const sorted = [...points].sort((a, b) => a[0] - b[0]);
      const data: uPlot.AlignedData = [sorted.map((p) => p[0] / 1000), sorted.map((p) => p[1])];
      const width = Math.max(240, el.current.clientWidth || 320);
      plot = new UPlot(
        {
          width,
          height: 180,
          // the legend under the chart shows the value and date under the cursor (hover)
          legend: { show: true, live: true },
          cursor: { drag: { x: false, y: false } },
          // The x axis spans the chosen range (or the data with a day either side), never uPlot's guess for one point.
          scales: {
            x: {
              time: true,
              range: (): [number, number] => {
                const lo = Math.min(from || sorted[0]![0] - 86400000, sorted[0]![0] - 3600000);
                const hi = Math.max(Date.now(), sorted[sorted.length - 1]![0] + 3600000);
                return [lo / 1000, (hi + (hi - lo) * 0.06) / 1000]; // room for the last tick's label
              },
            },
            y: {
              range: (_u, lo, hi): [number, number] => {
                const pad = Math.max(1, (hi - lo) * 0.15);
                return [Math.floor(lo - pad), Math.ceil(hi + pad)];
              },
            },
          },
          axes: [
            // at least 96 px between date labels, so they never overlap (a label is at most ~80 px wide)
            { space: 96, values: (_u, ticks) => ticks.map((s) => dateOnly(s * 1000)), size: 30, font: "11px system-ui" },
            { values: (_u, ticks) => ticks.map((v) => num(v, 1)), size: 44, font: "11px system-ui" },
          ],
          series: [
            { label: t("meas.time"), value: (_u, v) => (v == null ? "–" : dateTime(v * 1000)) },
            { label: title, stroke: color, width: 2, points: { show: true, size: 5 }, value: (_u, v) => (v == null ? "–" : `${num(v)}${unit ? ` ${unit}` : ""}`) },
          ],
        },
        data,
        el.current,
      );
      // for the browser tests (label overlap, hover): the chart's uPlot instance
      (el.current as HTMLDivElement & { uplot?: uPlot }).uplot = plot;
    });
    return () => {
      live = false;
      plot?.destroy();
    };
  }, [points, title, from, unit]);
  return (
    <figure class="chart">
      <figcaption>
        {title}
        {unit ? ` (${unit})` : ""}
      </figcaption>
      <div ref={el} role="img" aria-label={`${title}: ${points.length}`} />
    </figure>
  );
}
