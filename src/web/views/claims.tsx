/** Claims: measurements nobody could attribute, the suggested members, assign or discard. */
import { useState } from "preact/hooks";
import { api, call, errorText } from "../api.ts";
import { dateTime, num, t, tx } from "../i18n/index.ts";
import { Check, ErrorMsg, MemberPicker, Msg, Pager, useLoad, type MemberLite } from "../ui.tsx";

const LIMIT = 20;

export function Claims() {
  const [offset, setOffset] = useState(0);
  const list = useLoad(() => call(() => api.claims.get({ query: { limit: LIMIT, offset } })), [offset]);
  const [done, setDone] = useState<string | null>(null);
  return (
    <div class="stack">
      <h1>{t("claims.title")}</h1>
      {done && <Msg kind="ok">{done}</Msg>}
      <ErrorMsg error={list.error} />
      {list.data && list.data.items.length === 0 && <p class="muted">{t("claims.none")}</p>}
      {(list.data?.items ?? []).map((c) => (
        <ClaimCard
          key={c.id}
          claim={c}
          onDone={(msg) => {
            setDone(msg);
            list.reload();
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
  impedanceCount: number;
  suggestedMemberId: number | null;
  candidates: number[];
  lefuMemberid: string | null;
  device: { name: string | null; sn: string | null; model: string | null };
  hasReport: boolean;
}

function ClaimCard({ claim: c, onDone }: { claim: Claim; onDone: (msg: string) => void }) {
  const [member, setMember] = useState<MemberLite | null>(null);
  const [err, setErr] = useState<string | null>(null);
  // A Torre user id nobody is linked to yet: link it, so this person's later weighings are theirs at once.
  const [link, setLink] = useState(c.lefuMemberid !== null);
  const candidates = [...new Set([...(c.suggestedMemberId ? [c.suggestedMemberId] : []), ...c.candidates])];
  const names = useLoad(() => Promise.all(candidates.map((id) => call(() => api.members({ id }).get()).catch(() => null))), [c.id]);
  const assign = async (memberId: number) => {
    setErr(null);
    try {
      if (link && c.lefuMemberid) {
        const r = await call(() => api["lefu-identities"]({ memberid: c.lefuMemberid! }).put({ memberId, assignPending: true }));
        onDone(t("claims.linked", { n: r.assigned }));
      } else {
        await call(() => api.claims({ id: c.id }).assign.post({ memberId }));
        onDone(t("claims.assigned"));
      }
    } catch (e) {
      setErr(errorText(e));
    }
  };
  const discard = async () => {
    setErr(null);
    try {
      await call(() => api.claims({ id: c.id }).discard.post());
      onDone(t("claims.discarded"));
    } catch (e) {
      setErr(errorText(e));
    }
  };
  return (
    <section class="card claim" aria-labelledby={`claim-${c.id}`}>
      <h2 id={`claim-${c.id}`}>
        {num(c.weightKg, 2)} kg · {dateTime(c.measuredAt)}
      </h2>
      <p class="muted">
        {c.source}{c.device.name ?? c.device.model ?? c.device.sn ? ` · ${c.device.name ?? c.device.model ?? c.device.sn}` : ""} · {t("claims.reason")}:{" "}
        {c.claimReason ? tx(`claims.r.${c.claimReason}`, c.claimReason) : "–"}
        {c.lefuMemberid ? ` · Lefu ${c.lefuMemberid}` : ""}
        {c.impedanceCount ? ` · Z×${c.impedanceCount}` : ""}
      </p>
      {candidates.length > 0 && (
        <div class="row">
          <span>{t("claims.candidates")}:</span>
          {candidates.map((id, i) => (
            <button type="button" key={id} onClick={() => assign(id)}>
              {t("claims.assign")} → {names.data?.[i]?.name ?? `#${id}`}
            </button>
          ))}
        </div>
      )}
      <div class="row">
        <MemberPicker label={t("meas.member")} selected={member} onSelect={setMember} />
        <button type="button" class="primary" disabled={!member} onClick={() => member && assign(member.id)}>
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
