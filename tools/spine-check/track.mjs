#!/usr/bin/env node
// Plays every animation of a Spine 4.2 skeleton with the official runtime (spine-core) and
// prints, per frame, the world vertices of the attachments asked for, as JSON on stdout.
//
//   node track.mjs SKELETON.json [--fps 10] [--attachments QUERY.json] [--durations D.json]
//                  [--setup-only]
//
// No atlas or image is needed: every region gets a unit TextureRegion (world positions do
// not depend on the texture). QUERY.json is a list of {"skin", "slot", "name"} (name = the
// attachment's key in the skin); without it every region and mesh attachment of every skin
// is reported. Each frame: setToSetupPose(), animation.apply(skeleton, previous time, time,
// loop=false, events, 1, MixBlend.setup, MixDirection.mixIn), update(1/fps),
// updateWorldTransform(Physics.update); frames at 0, 1/fps, ... up to the duration
// (inclusive); D.json ({"animation": seconds}) overrides durations, so that two rigs of one
// character (one without some timelines) are sampled at the same times. Skins are played one at a time (a fresh Skeleton per skin that holds asked
// attachments; the default skin with no skin set).
//
// Output: {runtime, fps, bones: [{name, a, b, c, d, x, y, length}] (setup pose, world),
// attachments: [{skin, slot, name, type, triangles, uvs, setup}] (type "mesh" (linked meshes
// included, resolved), "region", or the class name; uvs = region uvs 0..1, v down; setup =
// flat world x, y in the setup pose; a region has 4 corners: bottom-left, top-left,
// top-right, bottom-right, i.e. uvs (0,1), (0,0), (1,0), (1,1)), animations: [{name,
// duration, times, tracks: [{vertices: [flat per frame], visible: [bool per frame]}]}]
// (tracks aligned with attachments; visible = the slot shows this attachment). A frame's
// vertices are computed even when the attachment is hidden (without the slot's deform).
// Exit 1 with the runtime's message on stderr when it rejects the skeleton.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  MeshAttachment,
  MixBlend,
  MixDirection,
  Physics,
  RegionAttachment,
  Skeleton,
  SkeletonJson,
} from "@esotericsoftware/spine-core";
import { UnitAttachmentLoader } from "./unit_loader.mjs";

const require = createRequire(import.meta.url);
const RUNTIME_VERSION = require("@esotericsoftware/spine-core/package.json").version;
const USAGE =
  "usage: node track.mjs SKELETON.json [--fps 10] [--attachments QUERY.json] [--durations D.json] [--setup-only]";

function fail(message) {
  process.stderr.write(`spine-check track: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { skeleton: null, fps: 10, attachments: null, durations: null, setupOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--fps" || a === "--attachments" || a === "--durations") {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      args[a.slice(2)] = argv[++i];
    } else if (a === "--setup-only") {
      args.setupOnly = true;
    } else if (a === "-h" || a === "--help") {
      process.stdout.write(USAGE + "\n");
      process.exit(0);
    } else if (args.skeleton === null) {
      args.skeleton = a;
    } else {
      fail(`unexpected argument ${a}`);
    }
  }
  if (args.skeleton === null) fail(USAGE);
  args.fps = Number(args.fps);
  if (!(args.fps > 0)) fail("--fps must be a positive number");
  return args;
}

/** A unit texture region: attachments keep their JSON geometry, uvs stay 0..1. */
const round = (v) => Math.round(v * 1e4) / 1e4;

function worldVertices(slot, attachment) {
  if (attachment instanceof RegionAttachment) {
    const out = new Array(8).fill(0);
    attachment.computeWorldVertices(slot, out, 0, 2);
    return out.map(round);
  }
  const n = attachment.worldVerticesLength;
  const out = new Array(n).fill(0);
  if (slot.getAttachment() === attachment) {
    attachment.computeWorldVertices(slot, 0, n, out, 0, 2);
  } else {
    const deform = slot.deform;
    slot.deform = [];
    attachment.computeWorldVertices(slot, 0, n, out, 0, 2);
    slot.deform = deform;
  }
  return out.map(round);
}

function describe(entry, attachment) {
  const type =
    attachment instanceof MeshAttachment ? "mesh" : attachment instanceof RegionAttachment ? "region" : attachment.constructor.name;
  const out = { skin: entry.skin, slot: entry.slot, name: entry.name, type };
  if (type === "mesh") {
    out.triangles = Array.from(attachment.triangles);
    out.uvs = Array.from(attachment.regionUVs).map((v) => Math.round(v * 1e7) / 1e7);
  } else if (type === "region") {
    out.triangles = [0, 1, 2, 2, 3, 0];
    out.uvs = [0, 1, 0, 0, 1, 0, 1, 1];
  }
  return out;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  let data;
  try {
    const json = new SkeletonJson(new UnitAttachmentLoader());
    data = json.readSkeletonData(readFileSync(args.skeleton, "utf8"));
  } catch (err) {
    fail(`${args.skeleton}: ${err.stack || err}`);
  }
  const defaultName = data.defaultSkin ? data.defaultSkin.name : "default";
  let query;
  if (args.attachments) {
    query = JSON.parse(readFileSync(args.attachments, "utf8"));
  } else {
    query = [];
    for (const skin of data.skins) {
      for (const entry of skin.getAttachments()) {
        const a = entry.attachment;
        if (a instanceof MeshAttachment || a instanceof RegionAttachment) {
          query.push({ skin: skin.name, slot: data.slots[entry.slotIndex].name, name: entry.name });
        }
      }
    }
  }
  // resolve every asked attachment; group them by skin
  const resolved = query.map((entry) => {
    const skin = data.findSkin(entry.skin);
    if (!skin) fail(`skin not found: ${entry.skin}`);
    const slotData = data.findSlot(entry.slot);
    if (!slotData) fail(`slot not found: ${entry.slot}`);
    const attachment = skin.getAttachment(slotData.index, entry.name);
    if (!attachment) fail(`attachment not found: ${entry.skin}/${entry.slot}/${entry.name}`);
    return { entry, attachment, slotIndex: slotData.index };
  });
  const skins = [...new Set(query.map((e) => e.skin))];
  const skeletons = new Map();
  for (const name of skins) {
    const skeleton = new Skeleton(data);
    if (name !== defaultName) skeleton.setSkin(data.findSkin(name));
    skeleton.setToSetupPose();
    skeleton.updateWorldTransform(Physics.update);
    skeletons.set(name, skeleton);
  }
  const setupSkeleton = new Skeleton(data);
  setupSkeleton.setToSetupPose();
  setupSkeleton.updateWorldTransform(Physics.update);
  const report = {
    runtime: { package: "@esotericsoftware/spine-core", version: RUNTIME_VERSION },
    fps: args.fps,
    bones: setupSkeleton.bones.map((b) => ({
      name: b.data.name, a: b.a, b: b.b, c: b.c, d: b.d, x: b.worldX, y: b.worldY, length: b.data.length,
    })),
    attachments: resolved.map(({ entry, attachment, slotIndex }) => ({
      ...describe(entry, attachment),
      setup: worldVertices(skeletons.get(entry.skin).slots[slotIndex], attachment),
    })),
    animations: [],
  };
  if (!args.setupOnly) {
    const dt = 1 / args.fps;
    const durations = args.durations ? JSON.parse(readFileSync(args.durations, "utf8")) : {};
    for (const animation of data.animations) {
      const duration = durations[animation.name] ?? animation.duration;
      const frames = Math.floor(duration * args.fps + 1e-6) + 1;
      const times = Array.from({ length: frames }, (_, i) => round(i * dt));
      const tracks = resolved.map(() => ({ vertices: [], visible: [] }));
      for (const name of skins) {
        const skeleton = skeletons.get(name);
        const events = [];
        let last = -1;
        for (let f = 0; f < frames; f++) {
          const time = f * dt;
          skeleton.setToSetupPose();
          animation.apply(skeleton, last, time, false, events, 1, MixBlend.setup, MixDirection.mixIn);
          skeleton.update(f === 0 ? 0 : dt);
          skeleton.updateWorldTransform(Physics.update);
          last = time;
          resolved.forEach(({ entry, attachment, slotIndex }, i) => {
            if (entry.skin !== name) return;
            const slot = skeleton.slots[slotIndex];
            tracks[i].vertices.push(worldVertices(slot, attachment));
            tracks[i].visible.push(slot.getAttachment() === attachment);
          });
        }
        skeleton.setToSetupPose();
        skeleton.updateWorldTransform(Physics.update);
      }
      report.animations.push({ name: animation.name, duration, times, tracks });
    }
  }
  process.stdout.write(JSON.stringify(report));
}

main();
