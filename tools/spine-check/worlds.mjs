#!/usr/bin/env node
// Prints every bone's world transform in the setup pose of a Spine 4.2 skeleton JSON, as the
// official runtime (spine-core) computes it, constraints applied:
//
//   node worlds.mjs SKELETON.json [--without path,physics,ik,transform]
//
// new Skeleton(data); setToSetupPose(); updateWorldTransform(Physics.none). Every bone and
// constraint marked "skin" (skin required) is made active (as if the skin that needs it were
// set), so that every bone has a pose. --without KIND,...: those constraints stay in the update
// order but do nothing (their mixes are 0 after setToSetupPose), i.e. the pose without them.
// No atlas or image is needed (attachments get a unit texture region).
//
// Output (JSON): {runtime, bones: [{name, a, b, c, d, x, y}]} in the skeleton's bone order,
// full float64 precision. Exit 1 with the runtime's message on stderr when it rejects the file.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  Physics,
  Skeleton,
  SkeletonJson,
} from "@esotericsoftware/spine-core";
import { UnitAttachmentLoader } from "./unit_loader.mjs";

const require = createRequire(import.meta.url);
const RUNTIME_VERSION = require("@esotericsoftware/spine-core/package.json").version;
const USAGE = "usage: node worlds.mjs SKELETON.json [--without path,physics,ik,transform]";
const KINDS = ["ik", "transform", "path", "physics"];

function fail(message) {
  process.stderr.write(`spine-check worlds: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { skeleton: null, without: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--without") {
      if (i + 1 >= argv.length) fail("--without needs a value");
      args.without = argv[++i].split(",").filter((k) => k);
      for (const kind of args.without) if (!KINDS.includes(kind)) fail(`unknown constraint kind ${kind}`);
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
  return args;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  let data;
  try {
    data = new SkeletonJson(new UnitAttachmentLoader()).readSkeletonData(readFileSync(args.skeleton, "utf8"));
  } catch (err) {
    fail(`${args.skeleton}: ${err.stack || err}`);
  }
  for (const bone of data.bones) bone.skinRequired = false;
  const lists = {
    ik: data.ikConstraints,
    transform: data.transformConstraints,
    path: data.pathConstraints,
    physics: data.physicsConstraints,
  };
  for (const kind of KINDS) for (const constraint of lists[kind]) constraint.skinRequired = false;
  const skeleton = new Skeleton(data);
  skeleton.setToSetupPose();
  for (const kind of args.without) {
    const constraints = {
      ik: skeleton.ikConstraints,
      transform: skeleton.transformConstraints,
      path: skeleton.pathConstraints,
      physics: skeleton.physicsConstraints,
    }[kind];
    for (const c of constraints) {
      for (const key of ["mix", "mixRotate", "mixX", "mixY", "mixScaleX", "mixScaleY", "mixShearY"]) {
        if (key in c) c[key] = 0;
      }
    }
  }
  skeleton.updateWorldTransform(Physics.none);
  const bones = skeleton.bones.map((b) => ({
    name: b.data.name,
    a: b.a,
    b: b.b,
    c: b.c,
    d: b.d,
    x: b.worldX,
    y: b.worldY,
  }));
  process.stdout.write(JSON.stringify({ runtime: RUNTIME_VERSION, bones }) + "\n");
}

main();
