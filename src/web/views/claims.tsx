/** Claims: measurements nobody could attribute, with what staff need to decide (weight, body fat, time, device, suggestions); assign, or discard (asked first, can be undone). */
import { useState } from "preact/hooks";
import { api, call, errorText } from "../api.ts";
import { dateTime, num, t, tx } from "../i18n/index.ts";
import { Check, ErrorMsg, MemberPicker, Msg, Pager, Select, memberLabel, useLoad, type MemberLite } from "../ui.tsx";

const LIMIT = 20;

export function Claims() {
  const [offset, setOffset] = useState(0);
  const [device, setDevice] = useState("");
  const [source, setSource] = useState("");
  const [round, setRound] = useState(0);
  const list = useLoad(
    () => call(() => api.claims.get({ query: { limit: LIMIT, offset, deviceId: device ? Number(device) : undefined, source: source || undefined } })),
    [offset, device, source, round],
  );
  const facets = useLoad(() => call(() => api.claims.facets.get({ query: {} })), [round]);
  const [done, setDone] = useState<{ text: string; undo?: number } | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const reload = () => setRound((n) => n + 1);
  const undo = async (id: number) => {
    setErr(null);
    try {
      await call(() => api.claims({ id }).restore.post());
      setDone({ text: t("claims.restored") });
      reload();
    } catch (e) {
      setErr(errorText(e));
    }
  };
  return (
    <div class="stack">
      <h1>{t("claims.title")}</h1>
      <div class="row filters">
        <Select
          label={t("meas.device")}
          name="claim-device"
          value={device}
          onChange={(v) => {
            setOffset(0);
            setDevice(v);
          }}
          options={[["", t("claims.allDevices")], ...(facets.data?.devices ?? []).map((d): [string, string] => [String(d.id), `${d.name ?? d.model ?? d.sn ?? d.mac ?? "?"} (${d.n})`])]}
        />
        <Select
          label={t("meas.source")}
          name="claim-source"
          value={source}
          onChange={(v) => {
            setOffset(0);
            setSource(v);
          }}
          options={[["", t("claims.allSources")], ...(facets.data?.sources ?? []).map((s): [string, string] => [s.source, `${tx(`src.${s.source}`, s.source)} (${s.n})`])]}
        />
      </div>
      {done && (
        <Msg kind="ok">
          <span id="claim-done">{done.text}</span>
          {done.undo !== undefined && (
            <>
              {" "}
              <button type="button" onClick={() => undo(done.undo!)}>
                {t("claims.undo")}
              </button>
            </>
          )}
        </Msg>
      )}
      {err && <Msg kind="error">{err}</Msg>}
      <ErrorMsg error={list.error} />
      {list.data && list.data.items.length === 0 && <p class="muted">{t("claims.none")}</p>}
      {(list.data?.items ?? []).map((c) => (
        <ClaimCard
          key={c.id}
          claim={c}
          onDone={(text, undoId) => {
            setDone({ text, undo: undoId });
            reload();
          }}
        />
      ))}
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onOffset={setOffset} />}
    </div>
  );
}

interface Claim {
  id: number;
  source: string;
  claimReason: string | null;
  measuredAt: number;
  weightKg: number;
  bodyfat: number | null;
  impedanceCount: number;
  lefuMemberid: string | null;
  device: { name: string | null; sn: string | null; mac?: string | null; model: string | null };
  suggestions: Array<{ id: number; name: string; memberNo: string | null; status: string }>;
}

function ClaimCard({ claim: c, onDone }: { claim: Claim; onDone: (msg: string, undo?: number) => void }) {
  const [member, setMember] = useState<MemberLite | null>(null);
  const [err, setErr] = useState<string | null>(null);
  // A Torre user id nobody is linked to yet: link it, so this person's later weighings are theirs at once.
  const [link, setLink] = useState(c.lefuMemberid !== null);
  // the name staff gave the device, else what identifies it (a WSP Mini scale has only its MAC)
  const deviceName = c.device.name ?? (c.device.model && c.device.sn ? `${c.device.model} ${c.device.sn}` : (c.device.model ?? c.device.sn ?? c.device.mac));
  const assign = async (m: { id: number; name: string; memberNo: string | null }) => {
    setErr(null);
    try {
      if (link && c.lefuMemberid) {
        const r = await call(() => api["lefu-identities"]({ memberid: c.lefuMemberid! }).put({ memberId: m.id, assignPending: true }));
        onDone(t("claims.linked", { n: r.assigned, member: memberLabel(m) }));
      } else {
        await call(() => api.claims({ id: c.id }).assign.post({ memberId: m.id }));
        onDone(t("claims.assigned", { member: memberLabel(m) }));
      }
    } catch (e) {
      setErr(errorText(e));
    }
  };
  const discard = async () => {
    setErr(null);
    if (!confirm(t("claims.discardConfirm", { weight: num(c.weightKg, 2), time: dateTime(c.measuredAt) }))) return;
    try {
      await call(() => api.claims({ id: c.id }).discard.post());
      onDone(t("claims.discarded", { weight: num(c.weightKg, 2) }), c.id);
    } catch (e) {
      setErr(errorText(e));
    }
  };
  return (
    <section class="card claim" aria-labelledby={`claim-${c.id}`}>
      <h2 id={`claim-${c.id}`}>
        {num(c.weightKg, 2)} kg
        {c.bodyfat != null && <span class="bf"> · {t("meas.bodyfat")} {num(c.bodyfat)} %</span>} · {dateTime(c.measuredAt)}
      </h2>
      <p class="muted">
        {deviceName ? `${deviceName} · ` : ""}
        {tx(`src.${c.source}`, c.source)} · {t("claims.reason")}: {c.claimReason ? tx(`claims.r.${c.claimReason}`, c.claimReason) : "–"}
      </p>
      {c.suggestions.length > 0 && (
        <div class="row suggestions">
          <span>{t("claims.candidates")}:</span>
          {c.suggestions.map((m) => (
            <button type="button" key={m.id} onClick={() => assign(m)}>
              {t("claims.assign")} → {memberLabel(m)}
            </button>
          ))}
        </div>
      )}
      <div class="row">
        <MemberPicker label={t("meas.member")} selected={member} onSelect={setMember} />
        <button type="button" class="primary" disabled={!member} onClick={() => member && assign(member)}>
          {t("claims.assign")}
        </button>
        <button type="button" onClick={discard}>
          {t("claims.discard")}
        </button>
      </div>
      {c.lefuMemberid && <Check label={t("claims.link")} checked={link} onChange={setLink} />}
      {err && <Msg kind="error">{err}</Msg>}
    </section>
  );
}
