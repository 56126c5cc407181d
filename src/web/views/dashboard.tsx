/** Dashboard: every device with its state, XONE devices waiting for a push (live), today's measurements, the claim queue. */
import { useEffect, useState } from "preact/hooks";
import { api, call } from "../api.ts";
import { ago, dateTime, num, t, tx } from "../i18n/index.ts";
import { liveConnected, useLive, youjiuDevices } from "../live.ts";
import { ErrorMsg, useLoad } from "../ui.tsx";

export function DeviceState({ online, lastSeen }: { online: boolean; lastSeen: number | null }) {
  return (
    <span class={online ? "badge ok" : "badge off"} title={dateTime(lastSeen)}>
      {online ? t("dev.online") : t("dev.offline")} · {ago(lastSeen)}
    </span>
  );
}

export function firmware(v: Record<string, string>): string {
  return Object.entries(v)
    .map(([k, x]) => `${k} ${x}`)
    .join(", ") || "–";
}

export function WaitingList() {
  useEffect(useLive, []);
  const waiting = youjiuDevices.value.filter((d) => d.readyForPush);
  return (
    <section aria-labelledby="waiting-h" class="card">
      <h2 id="waiting-h">
        {t("dash.waiting")}{" "}
        <span class={liveConnected.value ? "badge ok" : "badge off"} aria-live="polite">
          {liveConnected.value ? t("dash.live") : t("dash.offlineLive")}
        </span>
      </h2>
      {waiting.length === 0 ? (
        <p class="muted">{t("dash.noneWaiting")}</p>
      ) : (
        <ul class="waiting" aria-live="polite">
          {waiting.map((d) => (
            <li key={d.sn}>
              <b>{d.name ?? d.sn}</b> <span class="muted">{[d.product.toUpperCase(), d.name ? d.sn : null, d.lastIp].filter(Boolean).join(" · ")}</span>
              {d.pendingPush && <span class="badge warn">{t("dev.pushPending")}</span>}{" "}
              <a href={`/push?sn=${encodeURIComponent(d.sn)}`}>{t("nav.push")} →</a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function Dashboard() {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const h = setInterval(() => setTick((x) => x + 1), 15000);
    return () => clearInterval(h);
  }, []);
  const devices = useLoad(() => call(() => api.devices.get({ query: {} })), [tick]);
  const claims = useLoad(() => call(() => api.claims.get({ query: { limit: 5 } })), [tick]);
  // "today" in the browser's own time zone (the gym's)
  const dash = useLoad(() => call(() => api.dashboard.get({ query: { since: new Date().setHours(0, 0, 0, 0) } })), [tick]);
  return (
    <div class="grid">
      <WaitingList />
      <section class="card" aria-labelledby="claims-h">
        <h2 id="claims-h">{t("nav.claims")}</h2>
        <p>
          <a href="/claims">{t("dash.pendingClaims", { n: dash.data?.pendingClaims ?? "…" })}</a>
        </p>
        {(claims.data?.items.length ?? 0) > 0 && (
          <ul class="claims-mini">
            {claims.data!.items.map((c) => (
              <li key={c.id}>
                {num(c.weightKg, 2)} kg · {dateTime(c.measuredAt)} <span class="muted small">{c.source}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="card wide" aria-labelledby="dev-h">
        <h2 id="dev-h">{t("dash.devices")}</h2>
        <ErrorMsg error={devices.error} />
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>{t("dev.name")}</th>
                <th>{t("dev.vendor")}</th>
                <th>{t("dev.state")}</th>
                <th>{t("dev.battery")}</th>
                <th>{t("dev.firmware")}</th>
                <th>{t("dev.ip")}</th>
              </tr>
            </thead>
            <tbody>
              {(devices.data ?? []).map((d) => (
                <tr key={d.id} class={d.blocked ? "blocked" : ""}>
                  <td>
                    <a href={`/devices#d${d.id}`}>{d.name ?? d.sn ?? d.mac ?? d.key}</a>
                    <div class="muted small">{d.model ?? d.family}</div>
                  </td>
                  <td>{d.vendor}</td>
                  <td>
                    <DeviceState online={d.online} lastSeen={d.lastSeen} />
                  </td>
                  <td>{d.battery == null ? "–" : `${num(d.battery * 100, 0)} %`}</td>
                  <td class="small">{firmware(d.versions)}</td>
                  <td>{d.lastIp ?? "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {devices.data && devices.data.length === 0 && <p class="muted">{t("common.none")}</p>}
        </div>
      </section>
      <section class="card wide" aria-labelledby="today-h">
        <h2 id="today-h">{t("dash.today")}</h2>
        <ErrorMsg error={dash.error} />
        <MeasurementTable rows={dash.data?.today ?? []} showMember />
      </section>
    </div>
  );
}

export interface MRow {
  id: number;
  measuredAt: number;
  source: string;
  status: string;
  weightKg: number;
  memberId: number | null;
  memberName?: string | null;
  report: Record<string, unknown> | null;
  reportNote?: string | null;
  device: { name: string | null; model: string | null };
}

export const rnum = (r: Record<string, unknown> | null, k: string): number | null => {
  const v = r?.[k];
  return typeof v === "number" ? v : null;
};

export function MeasurementTable({ rows, showMember }: { rows: MRow[]; showMember?: boolean }) {
  if (rows.length === 0) return <p class="muted">{t("common.none")}</p>;
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>{t("meas.time")}</th>
            {showMember && <th>{t("meas.member")}</th>}
            <th>{t("meas.source")}</th>
            <th class="r">{t("meas.weight")}</th>
            <th class="r">{t("meas.bodyfat")}</th>
            <th class="r">{t("meas.muscle")}</th>
            <th class="r">{t("meas.visfat")}</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>{dateTime(r.measuredAt)}</td>
              {showMember && (
                <td>
                  {r.memberId ? <a href={`/members/${r.memberId}`}>{r.memberName ?? `#${r.memberId}`}</a> : <a href="/claims" class="badge warn">{t("meas.unclaimed")}</a>}
                </td>
              )}
              <td>
                {tx(`src.${r.source}`, r.source)}
                <div class="muted small">{r.device.name ?? r.device.model ?? ""}</div>
              </td>
              <td class="r">{num(r.weightKg, 2)} kg</td>
              <td class="r" title={r.report ? undefined : (r.reportNote ?? undefined)}>
                {rnum(r.report, "bodyfat") == null ? "–" : `${num(rnum(r.report, "bodyfat"))} %`}
              </td>
              <td class="r">{rnum(r.report, "sinew") == null ? "–" : `${num(rnum(r.report, "sinew"))} kg`}</td>
              <td class="r">{num(rnum(r.report, "visfat"))}</td>
              <td>{r.status === "assigned" && <a href={`/report/${r.id}`}>{t("meas.report")}</a>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
