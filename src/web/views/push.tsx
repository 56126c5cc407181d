/** Push login: pick a member and a waiting XONE / U+ and a scene; follow the push live. */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, call, errorText } from "../api.ts";
import { t, tx } from "../i18n/index.ts";
import { pushOutcomes, useLive, youjiuDevices } from "../live.ts";
import { route } from "../router.ts";
import { scanned } from "../scan.ts";
import { MemberPicker, Msg, memberLabel, useId, type MemberLite } from "../ui.tsx";

export function Push() {
  useEffect(useLive, []);
  const [member, setMember] = useState<MemberLite | null>(null);
  const [sn, setSn] = useState<string | null>(route.value.query.get("sn"));
  const [scene, setScene] = useState<string>("");
  const [sent, setSent] = useState<{ sn: string; member: MemberLite; at: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const waiting = youjiuDevices.value.filter((d) => d.readyForPush || d.sn === sn);
  const device = youjiuDevices.value.find((d) => d.sn === sn) ?? null;
  const scenes = device?.scenes ?? [];
  useEffect(() => {
    if (scenes.length && !scenes.includes(scene)) setScene(scenes[0]!);
  }, [sn, scenes.join()]);
  const group = useId();
  const pushRef = useRef<HTMLButtonElement>(null);
  // A card read while no field had focus (on this or another view) searches here.
  const [scan, setScan] = useState<{ text: string; nonce: number } | null>(null);
  useEffect(
    () =>
      scanned.subscribe((v) => {
        if (!v) return;
        scanned.value = null;
        setMember(null);
        setSent(null);
        setScan(v);
      }),
    [],
  );
  // One device waiting and none chosen: that one.
  const onlyWaiting = youjiuDevices.value.filter((d) => d.readyForPush);
  useEffect(() => {
    if (!sn && onlyWaiting.length === 1) setSn(onlyWaiting[0]!.sn);
  }, [sn, onlyWaiting.map((d) => d.sn).join()]);
  /** After a member is picked by Enter (a scan): with one device waiting, Push gets the focus. */
  const picked = () => {
    if (onlyWaiting.length === 1) {
      setSn(onlyWaiting[0]!.sn);
      setTimeout(() => pushRef.current?.focus(), 0);
    }
  };
  const deviceName = (s: string) => {
    const d = youjiuDevices.value.find((x) => x.sn === s);
    return d?.name ?? s;
  };
  // /push?member=ID (from a member's page): that member is picked already
  useEffect(() => {
    const id = Number(route.value.query.get("member"));
    if (id > 0) call(() => api.members({ id }).get()).then(setMember, () => undefined);
  }, []);

  const push = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    if (!member || !sn) return setError(t("push.pick"));
    setBusy(true);
    setError(null);
    try {
      const at = Date.now();
      await call(() => api.youjiu.devices({ sn }).push.post({ memberId: member.id, scene: scene || undefined }));
      setSent({ sn, member, at });
    } catch (err) {
      setError(err instanceof ApiError && err.code === "DEVICE_NOT_WAITING" ? t("push.notWaiting") : errorText(err));
    } finally {
      setBusy(false);
      // the push controls keep the focus (for the next push or a cancel)
      if (!document.activeElement || document.activeElement === document.body) pushRef.current?.focus();
    }
  };
  const cancel = async () => {
    if (sent) await call(() => api.youjiu.devices({ sn: sent.sn }).push.delete()).catch((e) => setError(errorText(e)));
  };

  const outcome = sent ? pushOutcomes.value[sent.sn] : undefined;
  const status = sent ? (outcome && outcome.memberId === sent.member.id && outcome.at >= sent.at - 5000 ? outcome.status : "pending") : null;

  return (
    <form class="grid" onSubmit={push} aria-labelledby="push-h">
      <h1 id="push-h" class="wide">
        {t("push.title")}
      </h1>
      <section class="card">
        <MemberPicker label={t("push.findMember")} selected={member} onSelect={setMember} autoFocus scan={scan} onPicked={picked} />
        {member && (
          <p class="muted" aria-live="polite" id="push-member">
            {t("meas.member")}: <b>{memberLabel(member)}</b>
          </p>
        )}
      </section>
      <section class="card">
        <fieldset class="choices">
          <legend>{t("push.device")}</legend>
          {waiting.length === 0 && <p class="muted">{t("dash.noneWaiting")}</p>}
          {waiting.map((d) => (
            <label key={d.sn} class={sn === d.sn ? "choice on" : "choice"}>
              <input type="radio" name={group} checked={sn === d.sn} onChange={() => setSn(d.sn)} />
              <span>
                <b>{d.name ?? d.sn}</b> <span class="muted">{d.product.toUpperCase()}{d.name ? ` · ${d.sn}` : ""}</span>{" "}
                {d.readyForPush ? <span class="badge ok">{t("dash.waiting")}</span> : <span class="badge off">{t("push.notWaitingShort")}</span>}
              </span>
            </label>
          ))}
        </fieldset>
        {scenes.length > 0 && (
          <fieldset class="choices scenes">
            <legend>{t("push.scene")}</legend>
            {scenes.map((s) => (
              <label key={s} class={scene === s ? "choice on" : "choice"}>
                <input type="radio" name="scene" value={s} checked={scene === s} onChange={() => setScene(s)} />
                <span>{tx(`scene.${s}`, s)}</span>
              </label>
            ))}
          </fieldset>
        )}
        <p>
          <button type="submit" class="primary" ref={pushRef} aria-disabled={busy}>
            {t("push.send")}
          </button>
        </p>
        {error && <Msg kind="error">{error}</Msg>}
        <div aria-live="polite" id="push-status">
          {sent && status && (
            <Msg kind={status === "delivered" ? "ok" : status === "pending" ? "info" : "error"}>
              <span data-status={status}>{tx(`push.status.${status}`, status).replace("{sn}", deviceName(sent.sn)).replace("{member}", memberLabel(sent.member))}</span>
              {status === "pending" && (
                <>
                  {" "}
                  <button type="button" onClick={cancel}>
                    {t("push.cancel")}
                  </button>
                </>
              )}
            </Msg>
          )}
        </div>
      </section>
    </form>
  );
}
