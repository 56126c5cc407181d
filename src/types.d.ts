declare module "*.sql" {
  const text: string;
  export default text;
}
// `import path from "x.wasm" | "x.bin" with { type: "file" }`: the file's path (inside the binary: /$bunfs/…).
declare module "*.wasm" {
  const path: string;
  export default path;
}
declare module "*.bin" {
  const path: string;
  export default path;
}
declare module "*.md" {
  const text: string;
  export default text;
}
