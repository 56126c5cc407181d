/**
 * Face login on the member page (issue 15): the member's enrolled faces (96 px thumbnails, with
 * who recorded the consent and when), enrolment from a photo (a file input that opens the camera
 * on a tablet; plain-HTTP LAN pages cannot use getUserMedia) or from a face just seen on a device,
 * each only with the consent box ticked, and deletion. Photos are scaled down in the browser
 * (canvas, ≤ 1024 px JPEG) so they fit the staff API's body limit; the box never stores them.
 */
import { useState } from "preact/hooks";
import { api, call } from "../api.ts";
import { ago, dateTime, t } from "../i18n/index.ts";
import { Check, ErrorMsg, Msg, useLoad } from "../ui.tsx";

const MAX_SIDE = 1024;

/** A photo file → a JPEG data URL no larger than MAX_SIDE on its longest side. */
async function scaledDataUrl(file: File): Promise<string> {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d")!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return canvas.toDataURL("image/jpeg", 0.9);
}

export function Faces({ id }: { id: number }) {
  const faces = useLoad(() => call(() => api.members({ id }).faces.get()), [id]);
  const status = useLoad(() => call(() => api.faces.status.get()), []);
  const recent = useLoad(() => call(() => api.faces.recent.get()), [faces.data?.length]);
  const [image, setImage] = useState<string | null>(null);
  const [attemptId, setAttemptId] = useState<string | null>(null);
  const [consent, setConsent] = useState(false);
  // A new key after each enrolment empties the file input.
  const [formKey, setFormKey] = useState(0);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);

  const pick = async (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    setErr(null);
    setMsg(null);
    if (!file) return;
    try {
      setImage(await scaledDataUrl(file));
      setAttemptId(null);
    } catch (x) {
      setErr(x);
    }
  };
  const enrol = async (e: Event) => {
    e.preventDefault();
    setErr(null);
    setMsg(null);
    if (!consent) return setErr(new Error(t("face.needConsent")));
    if (!image && !attemptId) return setErr(new Error(t("face.needImage")));
    setBusy(true);
    try {
      await call(() => api.members({ id }).faces.post(attemptId ? { attemptId, consent: true } : { image: image!, consent: true }));
      setImage(null);
      setAttemptId(null);
      setConsent(false);
      setFormKey((k) => k + 1);
      setMsg(t("face.enrolled"));
      faces.reload();
      status.reload();
    } catch (x) {
      setErr(x);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (faceId: number) => {
    setErr(null);
    try {
      await call(() => api.members({ id }).faces({ faceId }).delete());
      faces.reload();
    } catch (x) {
      setErr(x);
    }
  };
  const list = faces.data ?? [];
  return (
    <section class="card" aria-labelledby="face-h">
      <h2 id="face-h">{t("face.title")}</h2>
      {status.data && !status.data.enabled && <p class="msg info">{t("face.off")}</p>}
      {list.length === 0 ? (
        <p class="muted">{t("face.none")}</p>
      ) : (
        <ul class="faces">
          {list.map((f, i) => (
            <li key={f.id}>
              <img src={`/api/v1/members/${id}/faces/${f.id}/thumbnail.jpg`} width={96} height={96} alt={t("face.thumb", { n: i + 1 })} />
              <span class="muted">
                {f.source === "device" ? t("face.fromDevice", { device: f.sourceDevice ?? "?" }) : t("face.fromPhoto")}
                <br />
                {t("face.consentBy", { who: f.consentBy, when: dateTime(f.consentAt) })}
              </span>
              <button type="button" class="link" onClick={() => remove(f.id)} aria-label={`${t("common.delete")} ${t("face.thumb", { n: i + 1 })}`}>
                {t("common.delete")}
              </button>
            </li>
          ))}
        </ul>
      )}
      {recent.data && recent.data.length > 0 && (
        <div>
          {/* Faces a device did not recognise in the last 10 minutes, like the cards just tapped. */}
          <p>{t("face.seen", { device: [...new Set(recent.data.map((a) => a.deviceName ?? a.sn ?? "?"))].join(", ") })}:</p>
          <div class="faces-seen" role="radiogroup" aria-label={t("face.seenPick")}>
            {recent.data.map((a) => (
              <button
                type="button"
                key={a.id}
                role="radio"
                aria-checked={attemptId === a.id}
                class={attemptId === a.id ? "face-pick on" : "face-pick"}
                onClick={() => {
                  setAttemptId(a.id);
                  setImage(null);
                }}
              >
                <img src={`/api/v1/faces/recent/${a.id}/thumbnail.jpg`} width={96} height={96} alt={`${a.deviceName ?? a.sn ?? ""} ${ago(a.at)}`} />
              </button>
            ))}
          </div>
        </div>
      )}
      {list.length < 5 ? (
        <form class="stack" key={formKey} onSubmit={enrol}>
          <div class="field">
            <label for="face-photo">{t("face.photo")}</label>
            <input id="face-photo" type="file" accept="image/*" capture="user" onChange={pick} />
            <small class="hint">{t("face.photoHint")}</small>
          </div>
          <Check label={t("face.consent")} checked={consent} onChange={setConsent} />
          <div class="actions">
            <button type="submit" disabled={busy}>
              {busy ? t("face.working") : t("face.enrol")}
            </button>
          </div>
        </form>
      ) : (
        <p class="muted">{t("face.limit")}</p>
      )}
      {msg && <Msg kind="ok">{msg}</Msg>}
      <ErrorMsg error={err} />
    </section>
  );
}

/** Settings (admin): turn face login off and delete every template, in one audited action. */
export function FacePurge() {
  const [sure, setSure] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const purge = async (e: Event) => {
    e.preventDefault();
    setErr(null);
    try {
      const r = await call(() => api.faces.purge.post());
      setMsg(t("face.purged", { n: r.deleted }));
      setSure(false);
    } catch (x) {
      setErr(x);
    }
  };
  return (
    <section class="card" aria-labelledby="fp-h">
      <h2 id="fp-h">{t("face.title")}</h2>
      <p class="muted">{t("face.purgeHint")}</p>
      <form class="stack" onSubmit={purge}>
        <Check label={t("face.purgeSure")} checked={sure} onChange={setSure} />
        <div class="actions">
          <button type="submit" class="danger" disabled={!sure}>
            {t("face.purge")}
          </button>
        </div>
      </form>
      {msg && <Msg kind="ok">{msg}</Msg>}
      <ErrorMsg error={err} />
    </section>
  );
}
