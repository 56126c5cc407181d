import { lefuScale, xoneDevice, yolandaRelay, type SimContext } from "../sim/devices.ts";
import { Stats } from "../sim/stats.ts";
import { EXIT_USAGE, parseFlags, type Command } from "./command.ts";

const simulate: Command = {
  name: "simulate",
  summary: "simulate Lefu scales, XONE devices and a Yolanda relay against a bodydock (demos, tests, load)",
  help: `Usage: bodydock simulate [options]

Drives a running bodydock with simulated devices and prints a live summary
every second (requests, errors, latency percentiles) and a final one.

Options:
  --url URL            target (default http://127.0.0.1:8080)
  --lefu N             Lefu scales (default 2)
  --torre-share F      share of them that are Torre scales, 0..1 (default 0.5)
  --eight-share F      share of Torre scales with 8 electrodes, 0..1 (default 0.5)
  --xone N             Youjiu XONE devices polling for push login (default 1)
  --yolanda N          Yolanda WSP Mini relays (default 0; needs --yolanda-secret)
  --yolanda-secret S   the WSP Mini JWT secret configured in bodydock
  --rate R             weighings per scale (or relay) per minute (default 6)
  --duration S         seconds to run (default 30)
  --backlog N          largest offline burst a scale uploads at once (default 20)
  --dup-rate F         share of uploads re-sent as duplicates (default 0.05)
  --ohms               send plain ohm impedances (set those Lefu devices'
                       impedance mode to "ohms" in bodydock to get full reports)
  --seed N             random seed (default: random)

Exit code 1 if any request failed with a 5xx or no answer.`,
  async run(args) {
    const { flags } = parseFlags(args, ["ohms", "help"]);
    if (flags.help) {
      console.log(simulate.help);
      return 0;
    }
    const num = (name: string, def: number, min: number, max: number): number => {
      const v = flags[name];
      if (v === undefined) return def;
      const n = Number(v);
      if (v === true || !Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}`);
      return n;
    };
    let ctx: SimContext;
    let counts: { lefu: number; torreShare: number; eightShare: number; xone: number; yolanda: number; duration: number };
    try {
      counts = {
        lefu: num("lefu", 2, 0, 10000),
        torreShare: num("torre-share", 0.5, 0, 1),
        eightShare: num("eight-share", 0.5, 0, 1),
        xone: num("xone", 1, 0, 100000),
        yolanda: num("yolanda", 0, 0, 1000),
        duration: num("duration", 30, 1, 7 * 86400),
      };
      if (counts.yolanda > 0 && typeof flags["yolanda-secret"] !== "string") throw new Error("--yolanda needs --yolanda-secret");
      let seed = num("seed", Math.floor(Math.random() * 2 ** 31), 0, 2 ** 31);
      const rand = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const stop = Date.now() + counts.duration * 1000;
      ctx = {
        url: (typeof flags.url === "string" ? flags.url : "http://127.0.0.1:8080").replace(/\/+$/, ""),
        stats: new Stats(),
        rand,
        running: () => Date.now() < stop,
        rate: num("rate", 6, 0.01, 6000),
        ohms: flags.ohms === true,
        dupRate: num("dup-rate", 0.05, 0, 1),
        backlog: num("backlog", 20, 0, 100),
      };
    } catch (e) {
      console.error(`bodydock simulate: ${(e as Error).message}`);
      return EXIT_USAGE;
    }
    const t0 = Date.now();
    console.log(
      `simulating ${counts.lefu} Lefu scales, ${counts.xone} XONE devices, ${counts.yolanda} Yolanda relays against ${ctx.url} for ${counts.duration} s`,
    );
    const ticker = setInterval(() => console.log(ctx.stats.line((Date.now() - t0) / 1000)), 1000);
    const torre = Math.round(counts.lefu * counts.torreShare);
    await Promise.all([
      ...Array.from({ length: counts.lefu }, (_, i) => lefuScale(ctx, i, i < torre, i < torre && i < Math.round(torre * counts.eightShare))),
      ...Array.from({ length: counts.xone }, (_, i) => xoneDevice(ctx, i)),
      ...Array.from({ length: counts.yolanda }, (_, i) => yolandaRelay(ctx, i, String(flags["yolanda-secret"]))),
    ]);
    clearInterval(ticker);
    console.log(`final: ${ctx.stats.line((Date.now() - t0) / 1000)}`);
    console.log(`final: status codes ${JSON.stringify(Object.fromEntries(ctx.stats.statuses))}`);
    return ctx.stats.totalErrors > 0 ? 1 : 0;
  },
};
export default simulate;
