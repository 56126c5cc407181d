/** Small shared pieces: fields with labels, messages, paging, member search. */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, call, errorText } from "./api.ts";
import { t } from "./i18n/index.ts";

let nextId = 0;
export const useId = (): string => useRef(`f${++nextId}`).current;

type InputProps = {
  label: string;
  value: string;
  onInput: (v: string) => void;
  hint?: string;
  type?: string;
  name?: string;
  required?: boolean;
  autoFocus?: boolean;
  autoComplete?: string;
  inputMode?: "decimal" | "numeric" | "text" | "tel" | "email" | "search";
  minLength?: number;
  "aria-invalid"?: boolean;
};
export function Field({ label, value, onInput, hint, ...rest }: InputProps) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} value={value} onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)} aria-describedby={hint ? id + "h" : undefined} {...(rest as Record<string, unknown>)} />
      {hint && (
        <small id={id + "h"} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

export function Select({ label, value, onChange, options, name }: { label: string; value: string; onChange: (v: string) => void; options: Array<[string, string]>; name?: string }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} name={name} value={value} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}>
        {options.map(([v, l]) => (
          <option value={v} key={v}>
            {l}
          </option>
        ))}
      </select>
    </div>
  );
}

export function Check({ label, checked, onChange }: { label: string; checked: boolean; onChange: (v: boolean) => void }) {
  const id = useId();
  return (
    <div class="field check">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />
      <label for={id}>{label}</label>
    </div>
  );
}

export function Msg({ kind, children }: { kind: "ok" | "error" | "info"; children: ComponentChildren }) {
  return (
    <p class={`msg ${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </p>
  );
}

export function ErrorMsg({ error }: { error: unknown }) {
  return error ? <Msg kind="error">{errorText(error)}</Msg> : null;
}

/** Loads data with an async function; reload() runs it again. */
/**
 * A form's submit and its outcome: clears the last one, runs `action`, then shows the message it
 * returns, or the error it throws (a thrown string is shown as it is, e.g. a check before the call).
 */
export function useSubmit(action: () => Promise<string | null | void>): { msg: string | null; err: string | null; submit: (e?: Event) => Promise<void> } {
  const [msg, setMsg] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const submit = async (e?: Event) => {
    e?.preventDefault();
    setMsg(null);
    setErr(null);
    try {
      const m = await action();
      if (m) setMsg(m);
    } catch (x) {
      setErr(typeof x === "string" ? x : errorText(x));
    }
  };
  return { msg, err, submit };
}

export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; reload: () => void; loading: boolean } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    let live = true;
    setLoading(true);
    fn().then(
      (d) => {
        if (live) {
          setData(d);
          setError(null);
          setLoading(false);
        }
      },
      (e) => {
        if (live) {
          setError(e);
          setLoading(false);
        }
      },
    );
    return () => void (live = false);
  }, [...deps, n]);
  return { data, error, loading, reload: () => setN((x) => x + 1) };
}

export function Pager({ offset, limit, total, onOffset }: { offset: number; limit: number; total: number; onOffset: (o: number) => void }) {
  if (total <= limit && offset === 0) return null;
  return (
    <nav class="pager" aria-label="pages">
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
        {t("common.prev")}
      </button>
      <span>{t("common.page", { from: total ? offset + 1 : 0, to: Math.min(total, offset + limit), total })}</span>
      <button type="button" disabled={offset + limit >= total} onClick={() => onOffset(offset + limit)}>
        {t("common.next")}
      </button>
    </nav>
  );
}

export interface MemberLite {
  id: number;
  name: string;
  memberNo: string | null;
  phone: string | null;
  status: string;
}

/** Search box + result list (radio group, so arrow keys work) to pick one member. */
export function MemberPicker({ label, selected, onSelect, autoFocus }: { label: string; selected: MemberLite | null; onSelect: (m: MemberLite | null) => void; autoFocus?: boolean }) {
  const [q, setQ] = useState("");
  const [items, setItems] = useState<MemberLite[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  useEffect(() => {
    const query = q.trim();
    if (!query) {
      setItems(null);
      return;
    }
    const h = setTimeout(() => {
      call(() => api.members.get({ query: { q: query, limit: 10, status: "active" } }))
        .then((r) => setItems(r.items))
        .catch(setErr);
    }, 200);
    return () => clearTimeout(h);
  }, [q]);
  const group = useId();
  return (
    <div class="picker">
      <Field label={label} value={q} onInput={setQ} hint={t("push.searchHint")} type="search" autoFocus={autoFocus} autoComplete="off" name="member-search" />
      <ErrorMsg error={err} />
      {items && items.length === 0 && <p class="muted">{t("push.noMembers")}</p>}
      {items && items.length > 0 && (
        <fieldset class="choices">
          <legend class="sr">{label}</legend>
          {items.map((m) => (
            <label key={m.id} class={selected?.id === m.id ? "choice on" : "choice"}>
              <input type="radio" name={group} checked={selected?.id === m.id} onChange={() => onSelect(m)} />
              <span>
                <b>{m.name}</b> <span class="muted">#{m.id}{m.memberNo ? ` · ${m.memberNo}` : ""}{m.phone ? ` · ${m.phone}` : ""}</span>
              </span>
            </label>
          ))}
        </fieldset>
      )}
    </div>
  );
}
