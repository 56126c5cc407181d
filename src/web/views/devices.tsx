/** Devices: rename, notes, allow/block, per-device options; captured requests to unknown endpoints. */
import { useEffect, useState } from "preact/hooks";
import { api, call, errorText } from "../api.ts";
import { dateTime, num, t, tx } from "../i18n/index.ts";
import { ErrorMsg, Field, MemberPicker, Msg, Select, memberLabel, useLoad, useSubmit, type MemberLite } from "../ui.tsx";
import { DeviceState, firmware, sortDevices, useBoxNow } from "./dashboard.tsx";
import { Admission } from "./pairing.tsx";

type Device = NonNullable<Awaited<ReturnType<typeof api.devices.get>>["data"]>[number];

export function Devices() {
  const list = useLoad(() => call(() => api.devices.get({ query: {} })), []);
  const caps = useLoad(() => call(() => api["device-captures"].get({ query: { limit: 50 } })), []);
  const now = useBoxNow(undefined);
  // /devices#d12 (from the dashboard): show that device
  useEffect(() => {
    if (list.data && location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  }, [list.data]);
  return (
    <div class="stack">
      <h1>{t("nav.devices")}</h1>
      <Admission onChanged={list.reload} />
      <ErrorMsg error={list.error} />
      {list.data?.length === 0 && <p class="muted">{t("common.none")}</p>}
      {sortDevices(list.data ?? []).map((d) => (
        <DeviceCard key={d.id} d={d} onSaved={list.reload} now={now} />
      ))}
      <section class="card" aria-labelledby="cap-h">
        <h2 id="cap-h">{t("dev.captures")}</h2>
        <ErrorMsg error={caps.error} />
        {caps.data?.length === 0 && <p class="muted">{t("dev.noCaptures")}</p>}
        {(caps.data ?? []).map((c) => (
          <details key={c.id} class="capture">
            <summary>
              {dateTime(c.receivedAt)} · {c.method} <code>{c.path}</code> · {c.remoteIp ?? ""} → {c.responseStatus ?? ""} {c.quarantine ? `(${t("dev.quarantine")})` : ""}
            </summary>
            <pre>{JSON.stringify(c.headers, null, 1)}</pre>
            <pre>{c.body ?? ""}</pre>
            <button
              type="button"
              onClick={async () => {
                await call(() => api["device-captures"]({ id: c.id }).dismiss.post());
                caps.reload();
              }}
            >
              {t("dev.dismiss")}
            </button>
          </details>
        ))}
      </section>
    </div>
  );
}

function DeviceCard({ d, onSaved, now }: { d: Device; onSaved: () => void; now: number }) {
  const [name, setName] = useState(d.name ?? "");
  const [notes, setNotes] = useState(d.notes ?? "");
  // One state, not two checkboxes that can both be ticked: allowed, waiting for approval, or blocked.
  const [state, setState] = useState<"allowed" | "pending" | "blocked">(d.blocked ? "blocked" : d.approved ? "allowed" : "pending");
  const [mode, setMode] = useState(d.impedanceMode ?? "encrypted");
  // The default member is picked by name (a member picker), never typed as an id.
  const [defaultMember, setDefaultMember] = useState<MemberLite | null>(null);
  useEffect(() => {
    if (d.defaultMemberId == null) return setDefaultMember(null);
    call(() => api.members({ id: d.defaultMemberId! }).get()).then(setDefaultMember, () => setDefaultMember(null));
  }, [d.defaultMemberId]);
  const { msg, err, submit: save } = useSubmit(async () => {
    const wanted = {
      name: name.trim() || null,
      notes: notes.trim() || null,
      approved: state === "allowed",
      blocked: state === "blocked",
      ...(d.vendor === "lefu" ? { impedanceMode: mode as "encrypted" | "ohms", defaultMemberId: defaultMember?.id ?? null } : {}),
    };
    // Only what changed is sent; "Saved." only when the server then holds it.
    const patch = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => (d as Record<string, unknown>)[k] !== v)) as Partial<typeof wanted>;
    if (Object.keys(patch).length === 0) return t("set.unchanged");
    const r = await call(() => api.devices({ id: d.id }).patch(patch));
    onSaved();
    const stored = Object.entries(patch).every(([k, v]) => (r as Record<string, unknown>)[k] === v);
    if (!stored) throw t("dev.notStored");
    return t("common.saved");
  });
  const reset = useSubmit(async () => {
    if (!confirm(t("dev.resetConfirm"))) return;
    await call(() => api.youjiu.devices({ sn: d.sn! })["reset-secret"].post());
    return t("dev.resetDone");
  });
  return (
    <section class="card" id={`d${d.id}`} aria-labelledby={`dh${d.id}`}>
      <h2 id={`dh${d.id}`}>
        {d.name ?? d.sn ?? d.mac ?? d.key} <span class="muted small">{d.vendor} · {d.model ?? d.family}</span> <DeviceState vendor={d.vendor} lastSeen={d.lastSeen} now={now} />
      </h2>
      <p class="muted small">
        SN {d.sn ?? "–"} · MAC {d.mac ?? "–"} · {t("dev.ip")} {d.lastIp ?? "–"} · {t("dev.battery")} {d.battery == null ? "–" : `${num(d.battery * 100, 0)} %`} · {t("dev.firmware")} {firmware(d.versions)}
      </p>
      <form class="row" onSubmit={save}>
        <Field label={t("dev.name")} value={name} onInput={setName} name="name" />
        <Field label={t("dev.notes")} value={notes} onInput={setNotes} name="notes" />
        <Select
          label={t("dev.state")}
          value={state}
          onChange={(v) => setState(v as "allowed" | "pending" | "blocked")}
          name="state"
          options={[
            ["allowed", t("dev.stateAllowed")],
            ["pending", t("dev.statePending")],
            ["blocked", t("dev.stateBlocked")],
          ]}
        />
        {d.vendor === "lefu" && (
          <Select
            label={t("dev.impedanceMode")}
            value={mode}
            onChange={(v) => setMode(v as "encrypted" | "ohms")}
            name="impedanceMode"
            options={[
              ["encrypted", t("dev.mode.encrypted")],
              ["ohms", t("dev.mode.ohms")],
            ]}
          />
        )}
        {d.vendor === "lefu" && (
          <div class="field default-member">
            <span class="label">{t("dev.defaultMember")}</span>
            <p>
              <b data-default-member>{defaultMember ? memberLabel(defaultMember) : t("dev.noDefaultMember")}</b>{" "}
              {defaultMember && (
                <button type="button" class="link" onClick={() => setDefaultMember(null)}>
                  {t("dev.clearDefault")}
                </button>
              )}
            </p>
            <MemberPicker label={t("dev.pickDefault")} selected={defaultMember} onSelect={setDefaultMember} status={null} />
            <small class="hint">{t("dev.defaultMemberHint")}</small>
          </div>
        )}
        <button type="submit">{t("common.save")}</button>
      </form>
      {msg && <Msg kind="ok">{msg}</Msg>}
      {err && <Msg kind="error">{err}</Msg>}
      {d.vendor === "yolanda" && <YolandaSlots mac={d.mac ?? d.key} />}
      {d.vendor === "youjiu" && d.sn && (
        <p>
          <button type="button" onClick={() => reset.submit()}>
            {t("dev.reset")}
          </button>
          {reset.msg && <Msg kind="ok">{reset.msg}</Msg>}
          {reset.err && <Msg kind="error">{reset.err}</Msg>}
        </p>
      )}
    </section>
  );
}

/** A Yolanda scale's user slots 1–8: who is on which, why a slot is not sent, add and free. */
function YolandaSlots({ mac }: { mac: string }) {
  const scale = useLoad(() => call(() => api.yolanda.scales({ mac }).get()), [mac]);
  const [member, setMember] = useState<MemberLite | null>(null);
  const [round, setRound] = useState(0);
  const [err, setErr] = useState<string | null>(null);
  const act = async (f: () => Promise<unknown>) => {
    setErr(null);
    try {
      await f();
      setMember(null);
      setRound((n) => n + 1); // a fresh, empty member search
      scale.reload();
    } catch (x) {
      setErr(errorText(x));
    }
  };
  if (scale.error) return <ErrorMsg error={scale.error} />;
  const s = scale.data;
  if (!s) return null;
  return (
    <div class="panel" aria-label={t("dev.slots")}>
      <h3>{t("dev.slots")}</h3>
      <table class="slots">
        <tbody>
          {s.slots.map((x) => (
            <tr key={x.userIndex}>
              <th>{x.userIndex}</th>
              <td>
                <a href={`/members/${x.memberId}`}>{x.memberName ?? t("common.unknownMember")}</a>
                {!x.sentToYolanda && (
                  <div class="muted small slot-problems">
                    {t("slot.notSent")}: {x.problems.map((p) => tx(`slot.${p}`, p)).join("; ")}
                  </div>
                )}
              </td>
              <td>
                <button type="button" onClick={() => act(() => call(() => api.yolanda.scales({ mac }).slots({ index: x.userIndex }).delete()))}>
                  {t("dev.freeSlot")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {s.slots.length === 0 && <p class="muted">{t("dev.noSlots")}</p>}
      {!s.full && (
        <div class="row">
          <MemberPicker key={round} label={t("dev.addToScale")} selected={member} onSelect={setMember} />
          <button type="button" disabled={!member} onClick={() => member && act(() => call(() => api.yolanda.scales({ mac }).slots.post({ memberId: member.id })))}>
            {t("dev.addSlot")}
          </button>
        </div>
      )}
      {err && <Msg kind="error">{err}</Msg>}
    </div>
  );
}
