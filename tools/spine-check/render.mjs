#!/usr/bin/env node
// Draws the setup pose of a SpineLift export with the official Spine 4.2 WebGL runtime
// (@esotericsoftware/spine-webgl from node_modules) in headless Chromium, saved as a PNG.
//
// One render:
//   node render.mjs EXPORT_DIR OUT.png --width W --height H [--origin X,Y]
//        [--background '#rrggbb[aa]'] [--skeleton F.json] [--atlas F.atlas] [--antialias]
// Many renders with one browser (used by the Python helper): JSON lines on stdin, one
// request per line, one answer per line on stdout, after a first {"ready": true} line:
//   node render.mjs --serve
//   {"dir": "...", "out": "...", "width": 64, "height": 48, "origin": [0, 48]}
//   -> {"ok": true, "out": "...", "ms": 123} or {"ok": false, "error": "..."}
//
// Skeleton space maps 1:1 to canvas pixels. Skeleton (0, 0) lands on the canvas point
// --origin X,Y (pixels from the top-left corner, y down); default X=0, Y=H (bottom-left
// corner), so a skeleton point (x, y) is drawn at canvas (x, H - y). Skeleton y is up.
// The background is transparent unless --background is given.
// Chromium: $SPINE_CHECK_CHROMIUM, else /usr/bin/chromium (Debian's package).
import { readFileSync, writeFileSync, existsSync, statSync, readdirSync } from "node:fs";
import { dirname, join, resolve, sep, extname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const ORIGIN = "http://spine-check.invalid";
const WEBGL_JS = join(dirname(require.resolve("@esotericsoftware/spine-webgl/package.json")), "dist", "iife", "spine-webgl.js");
const RUNTIME_VERSION = require("@esotericsoftware/spine-webgl/package.json").version;
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".json": "application/json", ".png": "image/png", ".atlas": "text/plain" };

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  // WebGL without a GPU: ANGLE on SwiftShader, deterministic software rendering
  "--use-angle=swiftshader",
  "--enable-unsafe-swiftshader",
  "--ignore-gpu-blocklist",
];

function pickFile(dir, given, ext) {
  if (given) return given;
  const found = readdirSync(dir).filter((f) => f.toLowerCase().endsWith(ext)).sort();
  if (found.length !== 1) {
    throw new Error(`${dir} must hold exactly one *${ext} file (found ${found.length}: ${found.join(", ")})`);
  }
  return found[0];
}

export class Renderer {
  constructor() {
    this.browser = null;
    this.context = null;
    this.dirs = [];
    this.page = null;
    this.problems = null;
  }

  async start() {
    const executablePath = process.env.SPINE_CHECK_CHROMIUM || "/usr/bin/chromium";
    if (!existsSync(executablePath)) {
      throw new Error(`Chromium not found at ${executablePath} (run tools/spine-check/setup.sh as root, or set SPINE_CHECK_CHROMIUM)`);
    }
    this.browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 30000 });
    this.context = await this.browser.newContext({ viewport: { width: 256, height: 256 }, deviceScaleFactor: 1 });
    // every request is answered here: nothing leaves the machine
    await this.context.route("**/*", (route) => this.serve(route));
    // load the page and the runtime now, so that the first render is as fast as the next ones
    const problems = [];
    try {
      await this.openPage(problems);
    } catch (e) {
      throw new Error(`${e && e.message ? e.message : e} ${problems.join("; ")}`);
    } finally {
      this.problems = null;
    }
  }

  async serve(route) {
    const url = new URL(route.request().url());
    if (url.origin !== ORIGIN) return route.abort("blockedbyclient");
    const path = decodeURIComponent(url.pathname);
    let file = null;
    if (path === "/render.html") file = join(HERE, "render.html");
    else if (path === "/lib/spine-webgl.js") file = WEBGL_JS;
    else {
      const m = /^\/export\/(\d+)\/(.+)$/.exec(path);
      const dir = m ? this.dirs[Number(m[1])] : undefined;
      if (dir) {
        const candidate = resolve(dir, m[2]);
        if (candidate.startsWith(dir + sep)) file = candidate;
      }
    }
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      return route.fulfill({ status: 404, contentType: "text/plain", body: `not found: ${path}` });
    }
    return route.fulfill({
      status: 200,
      contentType: TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
      body: readFileSync(file),
    });
  }

  async render(req) {
    const started = Date.now();
    const dir = resolve(req.dir);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
    const width = Number(req.width), height = Number(req.height);
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && width <= 16384 && height <= 16384)) {
      throw new Error(`width and height must be integers in 1..16384, got ${req.width}x${req.height}`);
    }
    const [originX, originY] = req.origin ?? [0, height];
    const index = this.dirs.push(dir) - 1;
    const problems = [];
    try {
      const page = await this.openPage(problems);
      const result = await page.evaluate((opts) => window.renderSpine(opts), {
        base: `/export/${index}/`,
        skeleton: pickFile(dir, req.skeleton, ".json"),
        atlas: pickFile(dir, req.atlas, ".atlas"),
        width, height, originX: Number(originX), originY: Number(originY),
        background: req.background ?? null,
        antialias: !!req.antialias,
      });
      const prefix = "data:image/png;base64,";
      if (!result.png.startsWith(prefix)) throw new Error("the canvas gave no PNG");
      const out = resolve(req.out);
      writeFileSync(out, Buffer.from(result.png.slice(prefix.length), "base64"));
      return {
        ok: true, out, ms: Date.now() - started, width, height,
        origin: [Number(originX), Number(originY)],
        skeletonVersion: result.version, slots: result.slots,
        runtime: { package: "@esotericsoftware/spine-webgl", version: RUNTIME_VERSION },
        browser: this.browser.version(),
        warnings: problems,
      };
    } catch (e) {
      // renderSpine restores the GL state in finally blocks, so an export the runtime rejects
      // leaves the page usable; a page that crashed or closed is replaced on the next render
      if (this.page && this.page.isClosed()) this.page = null;
      const detail = problems.length ? ` [${problems.join("; ")}]` : "";
      throw new Error(`${e && e.message ? e.message : e}${detail}`);
    } finally {
      this.dirs[index] = undefined;
      this.problems = null;
    }
  }

  /** The render page, loaded once and kept (its WebGL context is reused between renders). */
  async openPage(problems) {
    this.problems = problems;
    if (this.page && !this.page.isClosed()) return this.page;
    const page = await this.context.newPage();
    this.page = page; // set at once so that closePage() also closes a page that failed to load
    page.on("pageerror", (e) => this.problems?.push(`page error: ${e.message}`));
    page.on("console", (m) => { if (m.type() === "error") this.problems?.push(`console: ${m.text()}`); });
    page.on("crash", () => { this.page = null; });
    await page.goto(`${ORIGIN}/render.html`, { waitUntil: "load", timeout: 30000 });
    const ready = await page.evaluate(() => window.spineReady === true && typeof spine !== "undefined");
    if (!ready) throw new Error("the render page did not load the runtime");
    return page;
  }

  async closePage() {
    const page = this.page;
    this.page = null;
    if (page) await page.close().catch(() => {});
  }

  async stop() {
    if (this.browser) await this.browser.close().catch(() => {});
    this.browser = null;
  }
}

function usage() {
  return "usage: node render.mjs EXPORT_DIR OUT.png --width W --height H [--origin X,Y] " +
    "[--background #rrggbb[aa]] [--skeleton F.json] [--atlas F.atlas] [--antialias]\n" +
    "       node render.mjs --serve   (JSON lines on stdin)";
}

function parseArgs(argv) {
  const req = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--width") req.width = Number(value());
    else if (a === "--height") req.height = Number(value());
    else if (a === "--origin") req.origin = value().split(",").map(Number);
    else if (a === "--background") req.background = value();
    else if (a === "--skeleton") req.skeleton = value();
    else if (a === "--atlas") req.atlas = value();
    else if (a === "--antialias") req.antialias = true;
    else if (a.startsWith("--")) throw new Error(`unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length !== 2 || req.width === undefined || req.height === undefined) throw new Error(usage());
  [req.dir, req.out] = positional;
  return req;
}

async function serveLines(renderer) {
  process.stdout.write(JSON.stringify({ ready: true, browser: renderer.browser.version(), runtime: RUNTIME_VERSION }) + "\n");
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let answer;
    try {
      answer = await renderer.render(JSON.parse(line));
    } catch (e) {
      answer = { ok: false, error: e && e.message ? e.message : String(e) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  }
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes("-h") || argv.includes("--help")) {
    process.stdout.write(usage() + "\n");
    return 0;
  }
  const serve = argv[0] === "--serve";
  const req = serve ? null : parseArgs(argv);
  const renderer = new Renderer();
  try {
    await renderer.start();
    if (serve) {
      await serveLines(renderer);
    } else {
      process.stdout.write(JSON.stringify(await renderer.render(req)) + "\n");
    }
  } finally {
    await renderer.stop();
  }
  return 0;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`spine-render: ${e && e.message ? e.message : e}\n`);
      process.exit(1);
    },
  );
}
