import { LATEST_VERSION } from "../store/migrations/index.ts";
import { VERSION } from "../version.ts";
import type { Command } from "./command.ts";

const version: Command = {
  name: "version",
  summary: "print the version",
  help: "Usage: bodydock version\n\nPrints the bodydock version, the database schema version it writes, and the Bun runtime version.",
  async run(args) {
    if (args.includes("--help") || args.includes("-h")) {
      console.log(version.help);
      return 0;
    }
    console.log(`bodydock ${VERSION} (schema ${LATEST_VERSION}, bun ${Bun.version})`);
    return 0;
  },
};
export default version;
