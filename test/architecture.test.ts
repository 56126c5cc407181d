/**
 * The rooms of docs/architecture.md, checked on the source (issue 14 points 1 and 3), so that a shortcut
 * fails here instead of in review:
 *   - SQL and the database live in src/store/. Elsewhere in src/: no SQL text, no `.query(` / `.prepare(`,
 *     no `x.db`, no import of "bun:sqlite". The composition root (src/runtime.ts) opens the database and
 *     hands it to store/; that is the one exception besides store/ itself.
 *   - No module-level cache keyed by the runtime or its database (`WeakMap<Deps|Runtime|Database…>`).
 *   - Nothing imports src/main.ts (the program entry), so the old main → cli → serve → main cycle cannot
 *     come back; src/server.ts holds startServer.
 * The source is parsed with TypeScript, so comments and prose do not count and strings do.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { REPO_ROOT } from "./helpers.ts";

const SRC = join(REPO_ROOT, "src");

/** Where SQL and the database handle belong. */
const STORE = "src/store/";
/** The composition root: it opens the database (store/db.ts) and gives it to the repositories (store/repos.ts). */
const ROOT = ["src/runtime.ts"];

/**
 * Files other helpers own during the issue 14 merge, each for one rule and why. These three name bun:sqlite's
 * `Database` only as the type of the write queue's job argument, which they pass along unused (the
 * repositories hold the connection). When the device roles branch lands, the job argument goes and so do
 * these lines: an entry that no longer matches anything fails the last test below.
 */
const PENDING: Array<{ file: string; rule: Rule; why: string }> = [];

type Rule = "sql-text" | "db-call" | "db-handle" | "bun:sqlite";

interface Finding {
  file: string;
  line: number;
  rule: Rule;
  text: string;
}

/** Upper-case SQL as this code base writes it (prose says "select … from" in lower case, or not at all). */
const SQL =
  /\bSELECT\s+\S[\s\S]*?\bFROM\s+\w|\bSELECT\s+\d|\bINSERT\s+(?:OR\s+[A-Z]+\s+)?INTO\s+\w|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\s+\w|\bPRAGMA\s+\w|\bVACUUM(?:\s+INTO\s+[?'"$]|\s*$)|\bCREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX|TRIGGER|VIEW)\b|\bBEGIN\s+(?:IMMEDIATE|EXCLUSIVE|DEFERRED|TRANSACTION)\b|\bATTACH\s+DATABASE\b/;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|tsx)$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

interface Parsed {
  file: string;
  text: string;
  findings: Finding[];
  /** Relative imports (static and dynamic), resolved to repository paths. */
  imports: string[];
}

/** One file's findings (every rule, before any exception) and its imports. */
function scan(path: string, text: string): Parsed {
  const file = relative(REPO_ROOT, path);
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, path.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const findings: Finding[] = [];
  const imports: string[] = [];
  const add = (node: ts.Node, rule: Rule) =>
    findings.push({ file, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, rule, text: node.getText(sf).replace(/\s+/g, " ").slice(0, 120) });
  const importOf = (spec: string, node: ts.Node) => {
    if (spec === "bun:sqlite") add(node, "bun:sqlite");
    if (spec.startsWith(".")) imports.push(relative(REPO_ROOT, resolve(dirname(path), spec)));
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      importOf(node.moduleSpecifier.text, node);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      importOf(node.arguments[0].text, node);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      importOf(node.argument.literal.text, node);
    }
    if (ts.isStringLiteralLike(node) && SQL.test(node.text)) add(node, "sql-text");
    if (ts.isTemplateExpression(node)) {
      const whole = [node.head.text, ...node.templateSpans.map((s) => "x " + s.literal.text)].join("");
      if (SQL.test(whole)) add(node, "sql-text");
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ["query", "prepare"].includes(node.expression.name.text)) add(node, "db-call");
    if (ts.isPropertyAccessExpression(node) && node.name.text === "db") add(node, "db-handle");
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { file, text, findings, imports };
}

const parsed = sourceFiles(SRC).map((p) => scan(p, readFileSync(p, "utf8")));
const allowed = (f: Finding) => f.file.startsWith(STORE) || ROOT.includes(f.file) || PENDING.some((x) => x.file === f.file && x.rule === f.rule);
const show = (fs: Finding[]) => fs.map((f) => `${f.file}:${f.line} ${f.rule}: ${f.text}`);

describe("architecture (docs/architecture.md: rooms)", () => {
  test("the scan sees what it looks for (a file that breaks every rule)", () => {
    const bad = scan(
      join(SRC, "staff/bad.ts"),
      `import { Database } from "bun:sqlite";
       // SELECT * FROM members in a comment does not count
       const t = "members";
       export const f = (deps: { db: Database }) => deps.db.query(\`SELECT id FROM \${t} WHERE id = ?\`).get(1);
       export const g = (db: Database) => db.prepare("UPDATE devices SET name = ? WHERE id = ?");
       export const h = "DELETE FROM captures";
       export const i = (db: Database) => db.run("PRAGMA optimize");
       export const j = "VACUUM INTO ?";`,
    );
    expect(bad.findings.map((f) => `${f.line} ${f.rule}`).sort()).toEqual(
      ["1 bun:sqlite", "4 db-call", "4 db-handle", "4 sql-text", "5 db-call", "5 sql-text", "6 sql-text", "7 sql-text", "8 sql-text"].sort(),
    );
    // Prose and UI text are not SQL.
    expect(scan(join(SRC, "web/x.tsx"), `export const a = "Select a member from the list"; export const b = tag === "SELECT"; export const c = "a copy made with VACUUM INTO. Safe";`).findings).toEqual([]);
  });

  test("no SQL and no database handle outside src/store/ and the composition root", () => {
    expect(parsed.length).toBeGreaterThan(100);
    expect(show(parsed.flatMap((p) => p.findings).filter((f) => !allowed(f)))).toEqual([]);
  });

  test("no module-level cache keyed by the runtime or its database", () => {
    const found = parsed.filter((p) => /\bWeak(?:Map|Set|Ref)\s*<\s*(?:Deps|Runtime|Database)\b/.test(p.text)).map((p) => p.file);
    expect(found).toEqual([]);
  });

  test("nothing imports src/main.ts (no main → cli → serve → main cycle), and only main.ts imports the CLI", () => {
    expect(parsed.filter((p) => p.imports.includes("src/main.ts")).map((p) => p.file)).toEqual([]);
    const cliUsers = parsed.filter((p) => !p.file.startsWith("src/cli/") && p.imports.some((i) => i.startsWith("src/cli/"))).map((p) => p.file);
    expect(cliUsers).toEqual(["src/main.ts"]);
  });

  test("every pending exception is still needed (remove an entry once its file is clean)", () => {
    const stale = PENDING.filter((x) => !parsed.some((p) => p.file === x.file && p.findings.some((f) => f.rule === x.rule)));
    expect(stale.map((x) => `${x.file} (${x.rule}): ${x.why}`)).toEqual([]);
  });
});
