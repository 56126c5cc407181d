/** The member form (create and edit). Empty fields are sent as null. */
import { useState } from "preact/hooks";
import type { Sex } from "../../core/members.ts";
import { ApiError, errorText } from "../api.ts";
import { t } from "../i18n/index.ts";
import { Check, Field, Msg, Select } from "../ui.tsx";

export interface MemberData {
  id?: number;
  memberNo: string | null;
  name: string;
  nickname: string | null;
  phone: string | null;
  email: string | null;
  sex: Sex;
  birthday: string | null;
  heightCm: number | null;
  referenceWeightKg: number | null;
  goalWeightKg: number | null;
  athlete: boolean;
  notes: string | null;
}

export type MemberPayload = Omit<MemberData, "id">;

const s = (v: string | number | null | undefined) => (v == null ? "" : String(v));
const n = (v: string) => (v.trim() === "" ? null : Number(v.replace(",", ".")));

export function MemberForm({ initial, onSave, onCancel }: { initial?: Partial<MemberData>; onSave: (m: MemberPayload) => Promise<void>; onCancel?: () => void }) {
  const [f, setF] = useState({
    memberNo: s(initial?.memberNo),
    name: s(initial?.name),
    nickname: s(initial?.nickname),
    phone: s(initial?.phone),
    email: s(initial?.email),
    sex: (initial?.sex ?? "unspecified") as MemberData["sex"],
    birthday: s(initial?.birthday),
    heightCm: s(initial?.heightCm),
    referenceWeightKg: s(initial?.referenceWeightKg),
    goalWeightKg: s(initial?.goalWeightKg),
    athlete: initial?.athlete ?? false,
    notes: s(initial?.notes),
  });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f) => (v: string | boolean) => setF((x) => ({ ...x, [k]: v }));
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSave({
        memberNo: f.memberNo.trim() || null,
        name: f.name.trim(),
        nickname: f.nickname.trim() || null,
        phone: f.phone.trim() || null,
        email: f.email.trim() || null,
        sex: f.sex,
        birthday: f.birthday || null,
        heightCm: n(f.heightCm),
        referenceWeightKg: n(f.referenceWeightKg),
        goalWeightKg: n(f.goalWeightKg),
        athlete: f.athlete,
        notes: f.notes.trim() || null,
      });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const field = error instanceof ApiError ? error.field : undefined;
  const inv = (k: string) => (field === k ? { "aria-invalid": true } : {});
  return (
    <form onSubmit={submit} class="form-grid" aria-label={initial?.id ? t("common.edit") : t("mem.new")}>
      <Field label={t("mem.name")} value={f.name} onInput={set("name")} name="name" required {...inv("name")} />
      <Field label={t("mem.memberNo")} value={f.memberNo} onInput={set("memberNo")} name="memberNo" {...inv("memberNo")} />
      <Field label={t("mem.nickname")} value={f.nickname} onInput={set("nickname")} name="nickname" />
      <Field label={t("mem.phone")} value={f.phone} onInput={set("phone")} name="phone" type="tel" />
      <Field label={t("mem.email")} value={f.email} onInput={set("email")} name="email" type="email" />
      <Select
        label={t("mem.sex")}
        value={f.sex}
        onChange={set("sex")}
        name="sex"
        options={[
          ["unspecified", t("mem.unspecified")],
          ["male", t("mem.male")],
          ["female", t("mem.female")],
        ]}
      />
      <Field label={t("mem.birthday")} value={f.birthday} onInput={set("birthday")} name="birthday" type="date" {...inv("birthday")} />
      <Field label={t("mem.height")} value={f.heightCm} onInput={set("heightCm")} name="heightCm" inputMode="decimal" {...inv("heightCm")} />
      <Field label={t("mem.refWeight")} value={f.referenceWeightKg} onInput={set("referenceWeightKg")} name="referenceWeightKg" inputMode="decimal" />
      <Field label={t("mem.goalWeight")} value={f.goalWeightKg} onInput={set("goalWeightKg")} name="goalWeightKg" inputMode="decimal" />
      <Check label={t("mem.athlete")} checked={f.athlete} onChange={set("athlete")} />
      <Field label={t("mem.notes")} value={f.notes} onInput={set("notes")} name="notes" />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {t("common.save")}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            {t("common.cancel")}
          </button>
        )}
      </div>
      {error ? <Msg kind="error">{errorText(error)}</Msg> : null}
    </form>
  );
}
