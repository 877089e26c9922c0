#!/usr/bin/env node
// Plays a skeleton JSON with the official spine-core 4.2 runtime, without any image: every
// region is a unit texture region (uvs are then the attachments' own region uvs).
//
//   node rig_play.mjs RIGGED.json [ORIGINAL.json] [--fps 10] [--bones] [--pose ANIM TIME]
//
// Prints one JSON object:
//   animations: {name: {frames, vertices, nonFinite}}: every animation applied at --fps
//     from 0 to its duration, world vertices of every region and mesh attachment shown;
//   setup (with ORIGINAL): {"skin/slot/attachment": maxError}: in the setup pose, for each
//     attachment that is a region or unweighted mesh in ORIGINAL and a mesh in RIGGED, the
//     largest distance between a RIGGED vertex and where ORIGINAL draws the same texel (uv);
//     with --pose, in that animation's pose at TIME seconds instead (deform keys applied).
//   bones (with --bones): {name: [a, b, worldX, c, d, worldY]}: each bone's setup-pose world
//     transform from its local transform alone (Bone.updateWorldTransform, parents first,
//     no constraint applied).
// Exit 1 with the runtime's message when it refuses the skeleton.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const core = await import(
  pathToFileURL(join(here, "..", "..", "tools", "spine-check", "node_modules",
    "@esotericsoftware", "spine-core", "dist", "index.js")).href
);
const {
  AtlasAttachmentLoader, MeshAttachment, MixBlend, MixDirection, Physics, RegionAttachment,
  Skeleton, SkeletonJson, TextureRegion,
} = core;

function unitRegion() {
  const r = new TextureRegion();
  r.u = 0; r.v = 0; r.u2 = 1; r.v2 = 1;
  r.width = r.height = r.originalWidth = r.originalHeight = 1;
  return r;
}

function load(path) {
  const atlas = { findRegion: () => unitRegion() };
  const json = new SkeletonJson(new AtlasAttachmentLoader(atlas));
  const data = json.readSkeletonData(JSON.parse(readFileSync(path, "utf8")));
  const skeleton = new Skeleton(data);
  skeleton.setToSetupPose();
  skeleton.updateWorldTransform(Physics.update);
  return skeleton;
}

function worldVertices(slot, attachment) {
  if (attachment instanceof RegionAttachment) {
    const out = new Float32Array(8);
    attachment.computeWorldVertices(slot, out, 0, 2);
    return out;
  }
  if (attachment instanceof MeshAttachment) {
    const out = new Float32Array(attachment.worldVerticesLength);
    attachment.computeWorldVertices(slot, 0, attachment.worldVerticesLength, out, 0, 2);
    return out;
  }
  return null;
}

function play(skeleton, fps) {
  const report = {};
  for (const animation of skeleton.data.animations) {
    let frames = 0, vertices = 0, nonFinite = 0;
    const steps = Math.max(1, Math.ceil(animation.duration * fps));
    let last = -1;
    for (let i = 0; i <= steps; i++) {
      const time = Math.min(animation.duration, i / fps);
      skeleton.setToSetupPose();
      animation.apply(skeleton, last, time, false, [], 1, MixBlend.setup, MixDirection.mixIn);
      skeleton.updateWorldTransform(Physics.update);
      last = time;
      frames++;
      for (const slot of skeleton.drawOrder) {
        const attachment = slot.getAttachment();
        if (!attachment || !slot.bone.active) continue;
        const values = worldVertices(slot, attachment);
        if (!values) continue;
        vertices += values.length / 2;
        for (const v of values) if (!Number.isFinite(v)) nonFinite++;
      }
    }
    report[animation.name] = { frames, vertices, nonFinite };
  }
  return report;
}

/** Where `original` (region or unweighted mesh, on `slot`) draws the texel (u, v). */
function texelMap(slot, attachment) {
  const world = worldVertices(slot, attachment);
  if (attachment instanceof RegionAttachment) {
    const bl = [world[0], world[1]], tl = [world[2], world[3]], br = [world[6], world[7]];
    return (u, v) => [
      bl[0] + u * (br[0] - bl[0]) + (1 - v) * (tl[0] - bl[0]),
      bl[1] + u * (br[1] - bl[1]) + (1 - v) * (tl[1] - bl[1]),
    ];
  }
  const uvs = attachment.regionUVs, tris = attachment.triangles;
  return (u, v) => {
    let best = null, bestOut = Infinity;
    for (let t = 0; t < tris.length; t += 3) {
      const [a, b, c] = [tris[t], tris[t + 1], tris[t + 2]];
      const ax = uvs[2 * a], ay = uvs[2 * a + 1], bx = uvs[2 * b], by = uvs[2 * b + 1];
      const cx = uvs[2 * c], cy = uvs[2 * c + 1];
      const den = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay);
      if (Math.abs(den) < 1e-15) continue;
      const l1 = ((u - ax) * (cy - ay) - (cx - ax) * (v - ay)) / den;
      const l2 = ((bx - ax) * (v - ay) - (u - ax) * (by - ay)) / den;
      const l = [1 - l1 - l2, l1, l2];
      const out = l.reduce((s, x) => s + Math.max(0, -x), 0);
      if (out < bestOut) { bestOut = out; best = [[a, b, c], l]; }
    }
    const [[a, b, c], l] = best;
    return [0, 1].map((k) => l[0] * world[2 * a + k] + l[1] * world[2 * b + k] + l[2] * world[2 * c + k]);
  };
}

function posed(skeleton, slot, attachment, pose) {
  skeleton.setToSetupPose();
  slot.setAttachment(attachment);
  if (pose) {
    const animation = skeleton.data.findAnimation(pose.name);
    animation.apply(skeleton, -1, pose.time, false, [], 1, MixBlend.setup, MixDirection.mixIn);
    slot.setAttachment(attachment);
    animation.apply(skeleton, -1, pose.time, false, [], 1, MixBlend.setup, MixDirection.mixIn);
  }
  skeleton.updateWorldTransform(Physics.update);
}

function setupErrors(rigged, original, pose) {
  const errors = {};
  for (const skin of original.data.skins) {
    const riggedSkin = rigged.data.findSkin(skin.name);
    for (const entry of skin.getAttachments()) {
      const before = entry.attachment;
      const after = riggedSkin?.getAttachment(entry.slotIndex, entry.name);
      const isFlat = before instanceof RegionAttachment ||
        (before instanceof MeshAttachment && !before.bones && !before.getParentMesh());
      if (!isFlat || !(after instanceof MeshAttachment) || after === before) continue;
      const slotA = original.slots[entry.slotIndex], slotB = rigged.slots[entry.slotIndex];
      posed(original, slotA, before, pose);
      posed(rigged, slotB, after, pose);
      const map = texelMap(slotA, before);
      const world = worldVertices(slotB, after);
      let worst = 0;
      for (let i = 0; i < after.regionUVs.length; i += 2) {
        const [x, y] = map(after.regionUVs[i], after.regionUVs[i + 1]);
        worst = Math.max(worst, Math.hypot(world[i] - x, world[i + 1] - y));
      }
      errors[`${skin.name}/${original.data.slots[entry.slotIndex].name}/${entry.name}`] = worst;
    }
  }
  return errors;
}

const args = process.argv.slice(2);
let fps = 10, bones = false, pose = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--fps") fps = Number(args[++i]);
  else if (args[i] === "--bones") bones = true;
  else if (args[i] === "--pose") { pose = { name: args[i + 1], time: Number(args[i + 2]) }; i += 2; }
  else files.push(args[i]);
}
try {
  const rigged = load(files[0]);
  const result = {};
  if (bones) {
    const posed = load(files[0]);
    posed.setToSetupPose();
    result.bones = {};
    for (const bone of posed.bones) {
      bone.updateWorldTransform();
      result.bones[bone.data.name] = [bone.a, bone.b, bone.worldX, bone.c, bone.d, bone.worldY];
    }
  }
  result.animations = play(rigged, fps);
  if (files[1]) {
    const fresh = load(files[0]);
    result.setup = setupErrors(fresh, load(files[1]), pose);
  }
  process.stdout.write(JSON.stringify(result) + "\n");
} catch (error) {
  process.stderr.write(`rig_play: ${error.stack || error}\n`);
  process.exit(1);
}
