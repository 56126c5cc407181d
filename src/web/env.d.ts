/** CSS imported from the page's modules is bundled by Bun into the page's stylesheet. */
declare module "*.css";
