// An AttachmentLoader for spine-core 4.2 that needs no atlas: every region and mesh gets a
// 1x1 unit TextureRegion (u, v 0..1), so world positions and region uvs can be computed
// without images. Shared by track.mjs and worlds.mjs.
import {
  BoundingBoxAttachment,
  ClippingAttachment,
  FakeTexture,
  MeshAttachment,
  PathAttachment,
  PointAttachment,
  RegionAttachment,
  TextureRegion,
} from "@esotericsoftware/spine-core";

export function unitRegion() {
  const region = new TextureRegion();
  region.texture = new FakeTexture({ width: 1, height: 1 });
  region.u = 0;
  region.v = 0;
  region.u2 = 1;
  region.v2 = 1;
  region.width = region.height = region.originalWidth = region.originalHeight = 1;
  return region;
}

/** An AttachmentLoader that needs no atlas. */
export class UnitAttachmentLoader {
  fill(attachment, sequence) {
    if (sequence != null) {
      for (let i = 0; i < sequence.regions.length; i++) sequence.regions[i] = unitRegion();
    } else {
      attachment.region = unitRegion();
    }
    return attachment;
  }
  newRegionAttachment(skin, name, path, sequence) {
    return this.fill(new RegionAttachment(name, path), sequence);
  }
  newMeshAttachment(skin, name, path, sequence) {
    return this.fill(new MeshAttachment(name, path), sequence);
  }
  newBoundingBoxAttachment(skin, name) {
    return new BoundingBoxAttachment(name);
  }
  newPathAttachment(skin, name) {
    return new PathAttachment(name);
  }
  newPointAttachment(skin, name) {
    return new PointAttachment(name);
  }
  newClippingAttachment(skin, name) {
    return new ClippingAttachment(name);
  }
}
