import pkg from "../package.json" with { type: "json" };

/** The bodydock version, bundled into the binary from package.json. */
export const VERSION: string = pkg.version;
