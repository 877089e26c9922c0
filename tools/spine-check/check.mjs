#!/usr/bin/env node
// Loads a SpineLift export with the official Spine 4.2 runtime (@esotericsoftware/spine-core)
// and prints what the runtime made of it, as JSON on stdout.
//
//   node check.mjs EXPORT_DIR [--skeleton FILE.json] [--atlas FILE.atlas]
//
// EXPORT_DIR holds the skeleton JSON, the .atlas text and the atlas page PNGs. Without
// --skeleton / --atlas the directory must hold exactly one *.json and one *.atlas.
// Exit 0 with the report; exit 1 with a message on stderr when the runtime rejects the
// export (bad JSON, region missing from the atlas, page PNG missing or of the wrong size...).
import { readFileSync, readdirSync, existsSync, statSync } from "node:fs";
import { join, resolve, basename } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import {
  AtlasAttachmentLoader,
  MeshAttachment,
  Physics,
  RegionAttachment,
  Skeleton,
  SkeletonJson,
  TextureAtlas,
  TextureFilter,
} from "@esotericsoftware/spine-core";

const require = createRequire(import.meta.url);
const RUNTIME_VERSION = require("@esotericsoftware/spine-core/package.json").version;

function fail(message) {
  process.stderr.write(`spine-check: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { dir: null, skeleton: null, atlas: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--skeleton" || a === "--atlas") {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      args[a.slice(2)] = argv[++i];
    } else if (a === "-h" || a === "--help") {
      process.stdout.write("usage: node check.mjs EXPORT_DIR [--skeleton F.json] [--atlas F.atlas]\n");
      process.exit(0);
    } else if (args.dir === null) {
      args.dir = a;
    } else {
      fail(`unexpected argument ${a}`);
    }
  }
  if (args.dir === null) fail("usage: node check.mjs EXPORT_DIR [--skeleton F.json] [--atlas F.atlas]");
  return args;
}

/** The single file in dir ending with ext, or the one given (relative to dir). */
export function pickFile(dir, given, ext) {
  if (given) {
    const path = resolve(dir, given);
    if (!existsSync(path)) throw new Error(`${path} does not exist`);
    return path;
  }
  const found = readdirSync(dir).filter((f) => f.toLowerCase().endsWith(ext)).sort();
  if (found.length !== 1) {
    throw new Error(
      `${dir} must hold exactly one *${ext} file (found ${found.length}: ${found.join(", ")}); ` +
        `name it with --${ext === ".json" ? "skeleton" : "atlas"}`,
    );
  }
  return join(dir, found[0]);
}

/** [width, height] from a PNG's IHDR chunk. */
export function pngSize(path) {
  const buf = readFileSync(path);
  const signature = "89504e470d0a1a0a";
  if (buf.length < 24 || buf.subarray(0, 8).toString("hex") !== signature) {
    throw new Error(`${path} is not a PNG file`);
  }
  if (buf.subarray(12, 16).toString("latin1") !== "IHDR") throw new Error(`${path}: no IHDR chunk`);
  return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
}

function round(value) {
  // 1e-6 keeps the report readable while far below any pixel-level difference
  return Math.round(value * 1e6) / 1e6 + 0; // + 0 turns -0 into 0
}

function bounds(vertices) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i < vertices.length; i += 2) {
    minX = Math.min(minX, vertices[i]);
    maxX = Math.max(maxX, vertices[i]);
    minY = Math.min(minY, vertices[i + 1]);
    maxY = Math.max(maxY, vertices[i + 1]);
  }
  return { minX: round(minX), minY: round(minY), maxX: round(maxX), maxY: round(maxY) };
}

function regionFacts(region) {
  if (!region) return null;
  return {
    name: region.name ?? null,
    page: region.page ? region.page.name : null,
    x: region.x, y: region.y, width: region.width, height: region.height,
    degrees: region.degrees ?? 0,
    offsetX: region.offsetX ?? 0, offsetY: region.offsetY ?? 0,
    originalWidth: region.originalWidth, originalHeight: region.originalHeight,
  };
}

/** Everything the runtime made of one export directory (throws on any rejection). */
export function checkExport(dir, { skeleton: skeletonFile = null, atlas: atlasFile = null } = {}) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
  const skeletonPath = pickFile(dir, skeletonFile, ".json");
  const atlasPath = pickFile(dir, atlasFile, ".atlas");

  const atlas = new TextureAtlas(readFileSync(atlasPath, "utf8"));
  if (atlas.pages.length === 0) throw new Error(`${atlasPath}: the atlas has no page`);
  const pages = atlas.pages.map((page) => {
    const pagePath = resolve(dir, page.name);
    if (!existsSync(pagePath)) throw new Error(`atlas page ${page.name} not found at ${pagePath}`);
    const [w, h] = pngSize(pagePath);
    if (page.width && page.height && (w !== page.width || h !== page.height)) {
      throw new Error(`atlas page ${page.name} is ${w}x${h} but the atlas says size: ${page.width},${page.height}`);
    }
    for (const r of page.regions) {
      const rw = r.degrees === 90 ? r.height : r.width;
      const rh = r.degrees === 90 ? r.width : r.height;
      if (r.x < 0 || r.y < 0 || r.x + rw > w || r.y + rh > h) {
        throw new Error(`region ${r.name} (${r.x},${r.y} ${rw}x${rh}) lies outside page ${page.name} (${w}x${h})`);
      }
    }
    return {
      name: page.name, width: page.width, height: page.height, pngWidth: w, pngHeight: h,
      pma: page.pma, minFilter: TextureFilter[page.minFilter] ?? page.minFilter,
      magFilter: TextureFilter[page.magFilter] ?? page.magFilter,
      regions: page.regions.map((r) => r.name),
    };
  });

  const loader = new AtlasAttachmentLoader(atlas);
  const json = new SkeletonJson(loader);
  const text = readFileSync(skeletonPath, "utf8");
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${skeletonPath} is not valid JSON: ${e.message}`);
  }
  const data = json.readSkeletonData(parsed);

  const skeleton = new Skeleton(data);
  skeleton.setToSetupPose();
  // 4.2: updateWorldTransform takes the physics mode (Physics.update applies physics constraints)
  skeleton.updateWorldTransform(Physics.update);

  const slots = [];
  for (const slot of skeleton.drawOrder) {
    const attachment = slot.getAttachment();
    const entry = {
      slot: slot.data.name,
      bone: slot.bone.data.name,
      attachment: attachment ? attachment.name : null,
      type: null,
    };
    if (attachment instanceof MeshAttachment) {
      const n = attachment.worldVerticesLength;
      const world = new Array(n).fill(0);
      attachment.computeWorldVertices(slot, 0, n, world, 0, 2);
      Object.assign(entry, {
        type: "mesh",
        path: attachment.path,
        region: attachment.region ? attachment.region.name ?? attachment.path : null,
        regionInfo: regionFacts(attachment.region),
        weighted: attachment.bones !== null,
        vertexCount: n / 2,
        hull: attachment.hullLength / 2,
        triangles: Array.from(attachment.triangles),
        regionUVs: Array.from(attachment.regionUVs, round),
        uvs: Array.from(attachment.uvs, round),
        worldVertices: world.map(round),
        bounds: bounds(world),
      });
    } else if (attachment instanceof RegionAttachment) {
      const world = new Array(8).fill(0);
      attachment.computeWorldVertices(slot, world, 0, 2);
      Object.assign(entry, {
        type: "region",
        path: attachment.path,
        region: attachment.region ? attachment.region.name ?? attachment.path : null,
        regionInfo: regionFacts(attachment.region),
        worldVertices: world.map(round),
        bounds: bounds(world),
      });
    } else if (attachment) {
      entry.type = attachment.constructor.name;
    }
    slots.push(entry);
  }

  return {
    runtime: { package: "@esotericsoftware/spine-core", version: RUNTIME_VERSION },
    files: { skeleton: basename(skeletonPath), atlas: basename(atlasPath) },
    skeleton: {
      name: data.name,
      version: data.version,
      hash: data.hash,
      x: data.x, y: data.y, width: data.width, height: data.height,
      referenceScale: data.referenceScale,
      bones: data.bones.map((b) => ({
        name: b.name, parent: b.parent ? b.parent.name : null,
        x: b.x, y: b.y, rotation: b.rotation, scaleX: b.scaleX, scaleY: b.scaleY,
      })),
      bonesWorld: skeleton.bones.map((b) => ({
        name: b.data.name, worldX: round(b.worldX), worldY: round(b.worldY),
        a: round(b.a), b: round(b.b), c: round(b.c), d: round(b.d),
      })),
      slots: data.slots.map((s) => ({
        name: s.name, bone: s.boneData.name, attachment: s.attachmentName, blend: s.blendMode,
      })),
      skins: data.skins.map((s) => ({ name: s.name, attachments: s.getAttachments().length })),
      defaultSkin: data.defaultSkin ? data.defaultSkin.name : null,
      animations: data.animations.map((a) => a.name),
    },
    atlas: { pages, regions: atlas.regions.length },
    drawOrder: skeleton.drawOrder.map((s) => s.data.name),
    slots,
  };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = parseArgs(process.argv.slice(2));
  let report;
  try {
    report = checkExport(resolve(args.dir), { skeleton: args.skeleton, atlas: args.atlas });
  } catch (e) {
    fail(e && e.stack ? e.stack : String(e));
  }
  process.stdout.write(JSON.stringify(report) + "\n");
}
