/** Dashboard: every device with its state (by kind), XONE devices waiting for a push (live), today's measurements (paged), the claim queue; a new box's first steps. */
import { useEffect, useState } from "preact/hooks";
import { api, call } from "../api.ts";
import { ago, dateTime, noteText, num, t, tx } from "../i18n/index.ts";
import { liveConnected, useLive, youjiuDevices } from "../live.ts";
import { ErrorMsg, Pager, memberLabel, useLoad } from "../ui.tsx";

/** How long after its last request each kind of device still counts as online. */
const ONLINE_MS: Record<string, number> = { youjiu: 10_000, lefu: 120_000, yolanda: 120_000 };

/**
 * A device's state as its kind behaves: a XONE / U+ polls while switched on, so 10 s of silence is
 * offline; a Lefu scale sleeps between weighings, so it is not "offline" but "last weighing 2 h
 * ago"; a Yolanda relay sends when it has data ("last data …"). `now` is the box's clock.
 */
export function DeviceState({ vendor, lastSeen, now }: { vendor: string; lastSeen: number | null; now: number }) {
  const online = lastSeen != null && now - lastSeen <= (ONLINE_MS[vendor] ?? 120_000);
  if (online)
    return (
      <span class="badge ok" title={dateTime(lastSeen)} data-state="online">
        {t("dev.online")}
      </span>
    );
  if (vendor === "lefu")
    return (
      <span class="badge" title={dateTime(lastSeen)} data-state="asleep">
        {t("dev.lastWeighing", { ago: ago(lastSeen, now) })}
      </span>
    );
  if (vendor === "yolanda")
    return (
      <span class="badge" title={dateTime(lastSeen)} data-state="quiet">
        {t("dev.lastData", { ago: ago(lastSeen, now) })}
      </span>
    );
  return (
    <span class="badge off" title={dateTime(lastSeen)} data-state="offline">
      {t("dev.offline")} · {t("dev.lastSeenAgo", { ago: ago(lastSeen, now) })}
    </span>
  );
}

/** Firmware as version numbers with their parts' names ("Firmware 1.0.3 · Wi-Fi 2.1"), not raw field names. */
export function firmware(v: Record<string, string>): string {
  return (
    Object.entries(v)
      .map(([k, x]) => `${tx(`fw.${k}`, k)} ${x.replace(/^v(?=\d)/i, "")}`)
      .join(" · ") || "–"
  );
}

const deviceName = (d: { name: string | null; sn: string | null; mac: string | null; key: string }) => d.name ?? d.sn ?? d.mac ?? d.key;
const byName = new Intl.Collator("zh-u-co-pinyin", { numeric: true, sensitivity: "base" });
/** Devices in a stable order: by the name staff gave them (then SN or MAC). */
export function sortDevices<T extends { name: string | null; sn: string | null; mac: string | null; key: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => byName.compare(deviceName(a), deviceName(b)));
}

/** The box's clock as the page sees it (skew from the last dashboard answer), ticking every 2 s. */
export function useBoxNow(serverNow: number | undefined): number {
  const [skew, setSkew] = useState(0);
  const [, setTick] = useState(0);
  useEffect(() => {
    if (serverNow) setSkew(serverNow - Date.now());
  }, [serverNow]);
  useEffect(() => {
    const h = setInterval(() => setTick((x) => x + 1), 2000);
    return () => clearInterval(h);
  }, []);
  return Date.now() + skew;
}

/** A new box: what to type into each kind of device, with this box's addresses. */
function FirstSteps() {
  const box = useLoad(() => call(() => api.box.get()), []);
  const port = location.port || "80";
  const hosts = [...new Set([location.hostname, ...(box.data?.addresses ?? [])])].filter((h) => h !== "localhost" && h !== "127.0.0.1" && h !== "::1");
  const base = (h: string) => `http://${h.includes(":") ? `[${h}]` : h}:${port}`;
  const list = hosts.length ? hosts : [location.hostname];
  return (
    <section class="card wide first-steps" aria-labelledby="first-h">
      <h2 id="first-h">{t("first.title")}</h2>
      <p>{t("first.intro")}</p>
      <dl class="facts">
        <dt>{t("first.lefu")}</dt>
        <dd>
          {list.map((h) => (
            <code key={h}>{base(h)}</code>
          ))}
          <div class="muted small">{t("first.lefuHow")}</div>
        </dd>
        <dt>{t("first.youjiu")}</dt>
        <dd>
          {list.map((h) => (
            <code key={h}>{base(h)}/youjiu</code>
          ))}
          <div class="muted small">{t("first.youjiuHow")}</div>
        </dd>
        <dt>{t("first.yolanda")}</dt>
        <dd>
          <div class="muted small">{t("first.yolandaHow")}</div>
        </dd>
      </dl>
      <p>
        <a href="/installer">{t("first.more")}</a>
      </p>
    </section>
  );
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

const TODAY_LIMIT = 10;

export function Dashboard() {
  const [tick, setTick] = useState(0);
  const [offset, setOffset] = useState(0);
  useEffect(() => {
    const h = setInterval(() => setTick((x) => x + 1), 15000);
    return () => clearInterval(h);
  }, []);
  useEffect(useLive, []);
  const devices = useLoad(() => call(() => api.devices.get({ query: {} })), [tick]);
  const claims = useLoad(() => call(() => api.claims.get({ query: { limit: 5 } })), [tick]);
  // "today" in the browser's own time zone (the gym's): measured since local midnight, newest first
  const dash = useLoad(() => call(() => api.dashboard.get({ query: { since: new Date().setHours(0, 0, 0, 0), limit: TODAY_LIMIT, offset } })), [tick, offset]);
  const now = useBoxNow(dash.data?.now);
  // a XONE's polls reach the page live: its last poll is the later of the list's and the stream's
  const live = new Map(youjiuDevices.value.map((d) => [d.sn, d.lastSeen ?? 0]));
  const list = sortDevices(devices.data ?? []).map((d) => (d.vendor === "youjiu" && d.sn ? { ...d, lastSeen: Math.max(d.lastSeen, live.get(d.sn) ?? 0) } : d));
  return (
    <div class="grid">
      {devices.data && devices.data.length === 0 && <FirstSteps />}
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
                {num(c.weightKg, 2)} kg · {dateTime(c.measuredAt)} <span class="muted small">{c.device.name ?? tx(`src.${c.source}`, c.source)}</span>
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
              {list.map((d) => (
                <tr key={d.id} class={d.blocked ? "blocked" : ""} data-device={d.id}>
                  <td>
                    <a href={`/devices#d${d.id}`}>{deviceName(d)}</a>
                    <div class="muted small">{[d.model ?? d.family, d.name ? (d.sn ?? d.mac) : null].filter(Boolean).join(" · ")}</div>
                  </td>
                  <td>{tx(`vendor.${d.vendor}`, d.vendor)}</td>
                  <td>
                    <DeviceState vendor={d.vendor} lastSeen={d.lastSeen} now={now} />
                  </td>
                  <td>{d.battery == null ? "–" : `${num(d.battery * 100, 0)} %`}</td>
                  <td class="small">{firmware(d.versions)}</td>
                  <td>{d.lastIp ?? "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {devices.data && devices.data.length === 0 && <p class="muted">{t("first.none")}</p>}
        </div>
      </section>
      <section class="card wide" aria-labelledby="today-h">
        <h2 id="today-h">{t("dash.today")}</h2>
        <ErrorMsg error={dash.error} />
        <MeasurementTable rows={dash.data?.today ?? []} showMember />
        {dash.data && <Pager offset={offset} limit={TODAY_LIMIT} total={dash.data.todayTotal} onOffset={setOffset} />}
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
  memberNo?: string | null;
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
                  {r.memberId ? (
                    <a href={`/members/${r.memberId}`}>{r.memberName ? memberLabel({ name: r.memberName, memberNo: r.memberNo ?? null }) : t("common.unknownMember")}</a>
                  ) : (
                    <a href="/claims" class="badge warn">
                      {t("meas.unclaimed")}
                    </a>
                  )}
                </td>
              )}
              <td>
                {tx(`src.${r.source}`, r.source)}
                <div class="muted small">{r.device.name ?? r.device.model ?? ""}</div>
              </td>
              <td class="r">{num(r.weightKg, 2)} kg</td>
              <td class="r" title={r.report ? undefined : noteText(r.reportNote) || undefined}>
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
