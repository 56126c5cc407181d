import { computeText, type ErrorDocument } from "../core/index.ts";
import { EXIT_USAGE, parseFlags, type Command } from "./command.ts";

/** `bodydock compute`: the computation core's CLI contract (computation-core spec §2.1). */
const compute: Command = {
  name: "compute",
  summary: "compute a body-composition report from one input JSON (stdin or --file)",
  help: `Usage: bodydock compute [--file PATH]

Reads one input document (JSON, UTF-8) from stdin, or from PATH with --file, and prints the
report document as one line of JSON on stdout (computation-core spec §2).

Input members: sex, age or birthday (+ measuredAt, Unix seconds), heightCm, weightKg,
heartRate, athlete, and per family: impedance {z50, z100} (ht-4, bh-dual-4, standard-wb),
impedance.segments {rightArm, leftArm, trunk, rightLeg, leftLeg: {z20, z100}} (bia-8),
bodyfat (bodyfat-only). The family comes from algorithm, else scaleType (0 ht-4, 1-6 bia-8,
90 bh-dual-4), else the members present.

Example:
  echo '{"scaleType":90,"sex":"male","age":26,"heightCm":168,"weightKg":85.1,
         "impedance":{"z50":506,"z100":478}}' | bodydock compute

Exit status:
  0  the report was printed
  2  invalid input: {"error":{"code","message","field"}} was printed; also bad usage
     (unknown option, unreadable --file), with a message on stderr and nothing on stdout
  1  internal failure: {"error":{"code":"INTERNAL",...}} was printed`,
  async run(args) {
    const { flags, positional } = parseFlags(args, ["help"]);
    if (flags.help) {
      console.log(compute.help);
      return 0;
    }
    const unknown = Object.keys(flags).filter((f) => f !== "file");
    if (unknown.length || positional.length) {
      console.error(`bodydock compute: unexpected ${unknown.length ? `option --${unknown[0]}` : `argument '${positional[0]}'`}\n\n${compute.help}`);
      return EXIT_USAGE;
    }
    if (flags.file === true) {
      console.error("bodydock compute: --file needs a path");
      return EXIT_USAGE;
    }
    let bytes: Uint8Array;
    try {
      bytes = flags.file === undefined ? await Bun.stdin.bytes() : await Bun.file(flags.file).bytes();
    } catch (e) {
      console.error(`bodydock compute: cannot read ${flags.file ?? "stdin"}: ${(e as Error).message}`);
      return EXIT_USAGE;
    }
    let doc;
    try {
      doc = computeText(bytes, Math.floor(Date.now() / 1000));
    } catch (e) {
      console.error(`bodydock compute: ${(e as Error)?.stack ?? String(e)}`);
      const internal: ErrorDocument = { error: { code: "INTERNAL", message: "internal error", field: null } };
      await Bun.write(Bun.stdout, JSON.stringify(internal) + "\n");
      return 1;
    }
    await Bun.write(Bun.stdout, JSON.stringify(doc) + "\n");
    return "error" in doc ? EXIT_USAGE : 0;
  },
};
export default compute;
