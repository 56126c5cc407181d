/** Settings → integrations (admin, issue 17): API keys, and webhook endpoints with their state. */
import { useState } from "preact/hooks";
import { api, call, errorText } from "../api.ts";
import { ago, dateTime, t } from "../i18n/index.ts";
import { Check, ErrorMsg, Field, Msg, useLoad, useSubmit } from "../ui.tsx";
import { EVENT_TYPES } from "../../integrations/events.ts";

const SCOPES = ["members:read", "members:write", "measurements:read", "push"] as const;
// The server's own list (a pure module: the bundle takes only the constant).
const EVENTS = EVENT_TYPES;

export function Integrations() {
  return (
    <>
      <ApiKeys />
      <Webhooks />
    </>
  );
}

function ApiKeys() {
  const list = useLoad(() => call(() => api["api-keys"].get()), []);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["members:read"]);
  const [shown, setShown] = useState<string | null>(null);
  const { err, submit: create } = useSubmit(async () => {
    if (scopes.length === 0) throw t("int.needScope");
    const r = await call(() => api["api-keys"].post({ name: name.trim(), scopes: scopes as never }));
    setShown(r.key);
    setName("");
    list.reload();
  });
  const doRevoke = async (id: number, keyName: string) => {
    if (!confirm(t("int.revokeConfirm", { name: keyName }))) return;
    await call(() => api["api-keys"]({ id }).delete());
    list.reload();
  };
  return (
    <section class="card" aria-labelledby="keys-h">
      <h2 id="keys-h">{t("int.keys")}</h2>
      <p class="muted">{t("int.keysHelp")}</p>
      <ErrorMsg error={list.error} />
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>{t("int.name")}</th>
              <th>{t("int.prefix")}</th>
              <th>{t("int.scopes")}</th>
              <th>{t("int.lastUsed")}</th>
              <th>{t("mem.status")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(list.data ?? []).map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{k.scopes.join(", ")}</td>
                <td>{k.lastUsedAt ? `${ago(k.lastUsedAt)} (${k.uses})` : t("common.never")}</td>
                <td>{k.revokedAt ? t("int.revoked") : t("mem.active")}</td>
                <td>
                  {!k.revokedAt && (
                    <button type="button" onClick={() => doRevoke(k.id, k.name).catch(() => list.reload())}>
                      {t("int.revoke")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>{t("int.newKey")}</h3>
      <form class="row" onSubmit={create}>
        <Field label={t("int.name")} value={name} onInput={setName} name="key-name" required autoComplete="off" />
        <fieldset class="row">
          <legend>{t("int.scopes")}</legend>
          {SCOPES.map((s) => (
            <Check key={s} label={s} checked={scopes.includes(s)} onChange={(on) => setScopes(on ? [...scopes, s] : scopes.filter((x) => x !== s))} />
          ))}
        </fieldset>
        <button type="submit">{t("int.createKey")}</button>
      </form>
      {shown && (
        <Msg kind="ok">
          {t("int.keyOnce")} <code class="secret">{shown}</code>
        </Msg>
      )}
      {err && <Msg kind="error">{err}</Msg>}
    </section>
  );
}

function Webhooks() {
  const list = useLoad(() => call(() => api.webhooks.get()), []);
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>(["measurement.created", "report.computed"]);
  const [secret, setSecret] = useState<string | null>(null);
  const { err, submit: create } = useSubmit(async () => {
    if (events.length === 0) throw t("int.needEvent");
    const r = await call(() => api.webhooks.post({ url: url.trim(), events: events as never }));
    setSecret(r.secret);
    setUrl("");
    list.reload();
  });
  return (
    <section class="card" aria-labelledby="hooks-h">
      <h2 id="hooks-h">{t("int.webhooks")}</h2>
      <p class="muted">{t("int.webhooksHelp")}</p>
      <ErrorMsg error={list.error} />
      {(list.data ?? []).length === 0 && <p class="muted">{t("int.noEndpoints")}</p>}
      {(list.data ?? []).map((e) => (
        <Endpoint key={e.id} e={e} onChanged={list.reload} />
      ))}
      <h3>{t("int.newEndpoint")}</h3>
      <form class="stack" onSubmit={create}>
        <Field label={t("int.url")} value={url} onInput={setUrl} name="hook-url" type="url" required hint="https://hq.example.com/bodydock" />
        <fieldset class="row">
          <legend>{t("int.events")}</legend>
          {EVENTS.map((ev) => (
            <Check key={ev} label={ev} checked={events.includes(ev)} onChange={(on) => setEvents(on ? [...events, ev] : events.filter((x) => x !== ev))} />
          ))}
        </fieldset>
        <div>
          <button type="submit">{t("int.register")}</button>
        </div>
      </form>
      {secret && (
        <Msg kind="ok">
          {t("int.secretOnce")} <code class="secret">{secret}</code>
        </Msg>
      )}
      {err && <Msg kind="error">{err}</Msg>}
    </section>
  );
}

interface EndpointData {
  id: number;
  url: string;
  events: string[];
  state: "active" | "paused" | "disabled";
  stateReason: string | null;
  lastSuccessAt: number | null;
  lastError: { at: number; status: number | null; message: string } | null;
  queued: number;
  oldestPendingAt: number | null;
  failed: number;
  delivered: number;
  rotatingUntil: number | null;
}

function Endpoint({ e, onChanged }: { e: EndpointData; onChanged: () => void }) {
  const [eventId, setEventId] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [secret, setSecret] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const run = async (fn: () => Promise<string | null>) => {
    setMsg(null);
    setErr(null);
    try {
      setMsg(await fn());
      onChanged();
    } catch (x) {
      setErr(typeof x === "string" ? x : errorText(x));
    }
  };
  const ep = api.webhooks({ id: e.id });
  const replay = (ev: Event) => {
    ev.preventDefault();
    void run(async () => {
      const body = eventId.trim() ? { eventId: eventId.trim() } : { from: new Date(from).getTime(), to: new Date(to).getTime() };
      if (!eventId.trim() && (!from || !to)) throw t("int.replayNeed");
      const r = await call(() => ep.replay.post(body));
      return t("int.replayed", { n: r.queued });
    });
  };
  return (
    <article class="card endpoint" aria-label={e.url}>
      <h3>
        <code>{e.url}</code> <span class={`badge ${e.state}`}>{t(`int.state.${e.state}`)}</span>
      </h3>
      {e.stateReason && <p class="muted">{e.stateReason}</p>}
      <dl class="facts">
        <dt>{t("int.events")}</dt>
        <dd>{e.events.join(", ")}</dd>
        <dt>{t("int.lastSuccess")}</dt>
        <dd>{e.lastSuccessAt ? dateTime(e.lastSuccessAt) : t("common.never")}</dd>
        <dt>{t("int.lastError")}</dt>
        <dd>{e.lastError ? `${dateTime(e.lastError.at)} · ${e.lastError.status ?? "—"} · ${e.lastError.message}` : "—"}</dd>
        <dt>{t("int.queue")}</dt>
        <dd>
          {t("int.queueText", { n: e.queued, failed: e.failed, delivered: e.delivered })}
          {e.oldestPendingAt ? ` · ${t("int.oldest", { when: ago(e.oldestPendingAt) })}` : ""}
        </dd>
        {e.rotatingUntil && (
          <>
            <dt>{t("int.rotation")}</dt>
            <dd>{t("int.rotatingUntil", { when: dateTime(e.rotatingUntil) })}</dd>
          </>
        )}
      </dl>
      <div class="row">
        <button type="button" onClick={() => run(async () => (await call(() => ep.test.post()), t("int.testQueued")))}>
          {t("int.test")}
        </button>
        {e.state === "active" ? (
          <button type="button" onClick={() => run(async () => (await call(() => ep.pause.post()), null))}>
            {t("int.pause")}
          </button>
        ) : (
          <button type="button" onClick={() => run(async () => (await call(() => ep.resume.post()), null))}>
            {t("int.resume")}
          </button>
        )}
        <button
          type="button"
          onClick={() =>
            run(async () => {
              if (!confirm(t("int.rotateConfirm"))) return null;
              const r = await call(() => ep.rotate.post({}));
              setSecret(r.secret);
              return null;
            })
          }
        >
          {t("int.rotate")}
        </button>
        <button
          type="button"
          onClick={() =>
            run(async () => {
              if (!confirm(t("int.deleteConfirm", { url: e.url }))) return null;
              await call(() => ep.delete());
              return null;
            })
          }
        >
          {t("common.delete")}
        </button>
      </div>
      <Deliveries id={e.id} onReplay={(eventId) => run(async () => (await call(() => ep.replay.post({ eventId })), t("int.replayed", { n: 1 })))} />
      <form class="row" onSubmit={replay}>
        <Field label={t("int.replayEvent")} value={eventId} onInput={setEventId} name={`replay-${e.id}`} autoComplete="off" />
        <Field label={t("int.from")} value={from} onInput={setFrom} type="datetime-local" name={`from-${e.id}`} />
        <Field label={t("int.to")} value={to} onInput={setTo} type="datetime-local" name={`to-${e.id}`} />
        <button type="submit">{t("int.replay")}</button>
      </form>
      {secret && (
        <Msg kind="ok">
          {t("int.secretOnce")} <code class="secret">{secret}</code>
        </Msg>
      )}
      {msg && <Msg kind="ok">{msg}</Msg>}
      {err && <Msg kind="error">{err}</Msg>}
    </article>
  );
}

/** The latest deliveries of an endpoint, loaded when opened; each can be sent again. */
function Deliveries({ id, onReplay }: { id: number; onReplay: (eventId: string) => void }) {
  const [open, setOpen] = useState(false);
  const [n, setN] = useState(0);
  const list = useLoad(() => (open ? call(() => api.webhooks({ id }).get({ query: { limit: 20 } })) : Promise.resolve(null)), [open, n]);
  return (
    <details onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>{t("int.recent")}</summary>
      <ErrorMsg error={list.error} />
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>{t("set.when")}</th>
              <th>{t("int.events")}</th>
              <th>{t("mem.status")}</th>
              <th>{t("int.attempts")}</th>
              <th>{t("int.lastError")}</th>
              <th>{t("int.replayEvent")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(list.data?.deliveries ?? []).map((d) => (
              <tr key={d.outbox_id}>
                <td>{dateTime(d.created_at)}</td>
                <td>{d.type}</td>
                <td>{t(`int.dstate.${d.state}`)}</td>
                <td>{d.attempts}</td>
                <td>{d.last_error ?? "—"}</td>
                <td>
                  <code>{d.event_id}</code>
                </td>
                <td>
                  <button
                    type="button"
                    onClick={() => {
                      onReplay(d.event_id);
                      setN(n + 1);
                    }}
                  >
                    {t("int.replay")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
