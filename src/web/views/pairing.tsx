/**
 * Devices page, top: the pairing window ("accept new devices for 10 minutes", as Zigbee2MQTT's
 * permit join), devices asking to join while it was closed (an admin approves them), and device
 * diagnostics such as a register call from another MAC or address (security issue, points 4–5).
 */
import { useEffect, useState } from "preact/hooks";
import { api, call, me } from "../api.ts";
import { ago, dateTime, t } from "../i18n/index.ts";
import { ErrorMsg, Msg, useLoad, useSubmit } from "../ui.tsx";

export function Admission({ onChanged }: { onChanged: () => void }) {
  const pairing = useLoad(() => call(() => api.devices.pairing.get()), []);
  const joins = useLoad(() => call(() => api["device-join-requests"].get()), []);
  const diags = useLoad(() => call(() => api["device-diagnostics"].get({ query: { limit: 20 } })), []);
  const [now, setNow] = useState(Date.now());
  // While the window is open: count down, and list devices as they join.
  useEffect(() => {
    if (!pairing.data?.open) return;
    const timer = setInterval(() => {
      setNow(Date.now());
      if (pairing.data?.until && Date.now() >= pairing.data.until) pairing.reload();
      joins.reload();
      onChanged();
    }, 5000);
    return () => clearInterval(timer);
  }, [pairing.data?.open, pairing.data?.until]);
  const open = useSubmit(async () => {
    await call(() => api.devices.pairing.post({ minutes: 10 }));
    pairing.reload();
  });
  const close = useSubmit(async () => {
    await call(() => api.devices.pairing.delete());
    pairing.reload();
  });
  const isAdmin = me.value?.role === "admin";
  const state = pairing.data;
  const minutesLeft = state?.until ? Math.max(1, Math.ceil((state.until - now) / 60000)) : 0;
  return (
    <>
      <section class="card" aria-labelledby="pair-h">
        <h2 id="pair-h">{t("pair.title")}</h2>
        <ErrorMsg error={pairing.error} />
        <p>{state?.open ? t("pair.open", { minutes: minutesLeft, who: state.openedBy ?? "" }) : t("pair.closed")}</p>
        <p class="muted">{t("pair.hint")}</p>
        {state?.open ? (
          <button type="button" onClick={() => close.submit()}>
            {t("pair.stop")}
          </button>
        ) : (
          <button type="button" class="primary" onClick={() => open.submit()}>
            {t("pair.start")}
          </button>
        )}
        {(open.err || close.err) && <Msg kind="error">{open.err ?? close.err}</Msg>}
      </section>
      {(joins.data?.length ?? 0) > 0 && (
        <section class="card" aria-labelledby="join-h">
          <h2 id="join-h">{t("pair.asking")}</h2>
          <p class="muted">{t("pair.askingHint")}</p>
          <ErrorMsg error={joins.error} />
          <table>
            <thead>
              <tr>
                <th>{t("dev.vendor")}</th>
                <th>SN</th>
                <th>{t("dev.ip")}</th>
                <th>{t("dev.lastSeen")}</th>
                <th>{t("pair.attempts")}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(joins.data ?? []).map((j) => (
                <JoinRow key={j.id} j={j} isAdmin={isAdmin} onDone={() => (joins.reload(), onChanged())} />
              ))}
            </tbody>
          </table>
        </section>
      )}
      {(diags.data?.length ?? 0) > 0 && (
        <section class="card" aria-labelledby="diag-h">
          <h2 id="diag-h">{t("pair.diagnostics")}</h2>
          <ul>
            {(diags.data ?? []).map((g) => (
              <li key={g.id}>
                {dateTime(g.at)} · {g.device?.name || g.device?.key || "?"} · {diagnosticText(g.kind, g.detail as Record<string, unknown> | null)}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

type Join = NonNullable<Awaited<ReturnType<(typeof api)["device-join-requests"]["get"]>>["data"]>[number];

function JoinRow({ j, isAdmin, onDone }: { j: Join; isAdmin: boolean; onDone: () => void }) {
  const approve = useSubmit(async () => {
    await call(() => api["device-join-requests"]({ id: j.id }).approve.post());
    onDone();
  });
  const dismiss = useSubmit(async () => {
    await call(() => api["device-join-requests"]({ id: j.id }).delete());
    onDone();
  });
  return (
    <tr>
      <td>{j.vendor}</td>
      <td>
        <code>{j.key}</code>
      </td>
      <td>{j.lastIp ?? ""}</td>
      <td>{ago(j.lastSeen)}</td>
      <td>{j.attempts}</td>
      <td>
        {isAdmin && (
          <button type="button" onClick={() => approve.submit()}>
            {t("pair.approve")}
          </button>
        )}{" "}
        <button type="button" onClick={() => dismiss.submit()}>
          {t("dev.dismiss")}
        </button>
        {(approve.err || dismiss.err) && <Msg kind="error">{approve.err ?? dismiss.err}</Msg>}
      </td>
    </tr>
  );
}

function diagnosticText(kind: string, d: Record<string, unknown> | null): string {
  const v = (k: string) => String(d?.[k] ?? "?");
  if (kind === "register_mismatch") return t("pair.diag.registerMismatch", { mac: v("mac"), storedMac: v("storedMac"), ip: v("ip"), storedIp: v("storedIp") });
  if (kind === "conflicting_duplicate") return t("pair.diag.conflictingDuplicate", { first: v("firstWeightKg"), replay: v("replayWeightKg") });
  return kind;
}
