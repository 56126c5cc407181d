/** Small shared pieces: fields with labels, messages, paging, member search. */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, call, errorText } from "./api.ts";
import { t } from "./i18n/index.ts";
import { lastBurst } from "./scan.ts";

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
  const ref = useRef<HTMLInputElement>(null);
  // autofocus also when the field appears after the page loaded (a dialog, a view)
  useEffect(() => {
    if (rest.autoFocus) ref.current?.focus();
  }, []);
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} ref={ref} value={value} onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)} aria-describedby={hint ? id + "h" : undefined} {...(rest as Record<string, unknown>)} />
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

/** A member as staff know them: the name and member number (never the internal id). */
export function memberLabel(m: { name: string; memberNo?: string | null } | null | undefined): string {
  if (!m) return "–";
  return m.memberNo ? `${m.name} (${m.memberNo})` : m.name;
}

/**
 * Search box + result list (radio group, so arrow keys work) to pick one member.
 * Enter in the box searches at once; one match is picked (a card reader's scan ends with Enter) and
 * `onPicked` runs. The Down arrow moves into the results. `scan` (with a changing `nonce`) fills the
 * box from outside, e.g. a card read while no field had focus.
 */
export function MemberPicker({
  label,
  selected,
  onSelect,
  autoFocus,
  inputRef,
  scan,
  onPicked,
  status = "active",
}: {
  label: string;
  selected: MemberLite | null;
  onSelect: (m: MemberLite | null) => void;
  autoFocus?: boolean;
  inputRef?: { current: HTMLInputElement | null };
  scan?: { text: string; nonce: number } | null;
  onPicked?: (m: MemberLite) => void;
  status?: "active" | null;
}) {
  const [q, setQ] = useState("");
  const [items, setItems] = useState<MemberLite[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const seq = useRef(0);
  const ownRef = useRef<HTMLInputElement | null>(null);
  const input = inputRef ?? ownRef;
  const listRef = useRef<HTMLFieldSetElement | null>(null);
  const id = useId();
  const run = (query: string, pick: boolean) => {
    const n = ++seq.current;
    return call(() => api.members.get({ query: { q: query, limit: 10, status: status ?? undefined } })).then(
      (r) => {
        if (n !== seq.current) return;
        setItems(r.items);
        setErr(null);
        if (pick && r.items.length === 1) {
          onSelect(r.items[0]!);
          onPicked?.(r.items[0]!);
        }
      },
      (e) => n === seq.current && setErr(e),
    );
  };
  useEffect(() => {
    const query = q.trim();
    if (!query) {
      seq.current++;
      setItems(null);
      return;
    }
    const h = setTimeout(() => void run(query, false), 200);
    return () => clearTimeout(h);
  }, [q]);
  useEffect(() => {
    if (!scan?.text) return;
    setQ(scan.text);
    void run(scan.text, true);
  }, [scan?.nonce]);
  useEffect(() => {
    if (autoFocus) input.current?.focus();
  }, []);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Enter") {
      e.preventDefault(); // never submits the surrounding form (a push) by itself
      let text = q.trim();
      const b = lastBurst();
      if (b && text !== b && text.endsWith(b)) {
        text = b; // a card read into a box that had text already: the card counts
        setQ(b);
      }
      if (text) void run(text, true);
    } else if (e.key === "ArrowDown" && items && items.length > 0) {
      e.preventDefault();
      const radios = listRef.current?.querySelectorAll<HTMLInputElement>("input[type=radio]");
      const on = [...(radios ?? [])].find((r) => r.checked) ?? radios?.[0];
      on?.focus();
      if (on && !on.checked) on.click();
    }
  };
  const group = useId();
  return (
    <div class="picker">
      <div class="field">
        <label for={id}>{label}</label>
        <input
          id={id}
          ref={input}
          value={q}
          type="search"
          name="member-search"
          autoComplete="off"
          aria-describedby={id + "h"}
          onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)}
          onKeyDown={onKeyDown}
        />
        <small id={id + "h"} class="hint">
          {t("push.searchHint")}
        </small>
      </div>
      <ErrorMsg error={err} />
      {items && items.length === 0 && <p class="muted">{t("push.noMembers")}</p>}
      {items && items.length > 0 && (
        <fieldset class="choices" ref={listRef}>
          <legend class="sr">{label}</legend>
          {items.map((m) => (
            <label key={m.id} class={selected?.id === m.id ? "choice on" : "choice"}>
              <input type="radio" name={group} checked={selected?.id === m.id} onChange={() => onSelect(m)} />
              <span>
                <b>{m.name}</b> <span class="muted">{[m.memberNo, m.phone].filter(Boolean).join(" · ")}</span>
              </span>
            </label>
          ))}
        </fieldset>
      )}
    </div>
  );
}
