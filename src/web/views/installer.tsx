/** The README's installer section, bundled as text (its own chunk): how to point each kind of device at the box. */
import readme from "../../../README.md" with { type: "text" };
import { t } from "../i18n/index.ts";

function section(): string {
  const start = readme.indexOf("## For the installer");
  const end = readme.indexOf("\n## ", start + 5);
  return start < 0 ? readme : readme.slice(start, end < 0 ? undefined : end);
}

export function Installer() {
  const lines = section().split("\n");
  return (
    <article class="card installer" lang="en">
      <h1 lang={undefined}>{t("inst.title")}</h1>
      <p class="muted" lang={undefined}>
        {t("inst.note")}
      </p>
      <pre class="readme">{lines.slice(1).join("\n")}</pre>
    </article>
  );
}
