// The stage: the layers composed as in the PSD (Canvas 2D), each layer's mesh drawn over
// them (hull, interior edges, vertices), with zoom (wheel, keys, buttons) and pan (drag,
// arrow keys). Also used without overlays for the composite beside the Spine preview.

const BLEND = {
  normal: "source-over", multiply: "multiply", screen: "screen", additive: "lighter",
  linear_dodge: "lighter", overlay: "overlay", darken: "darken", lighten: "lighten",
  color_dodge: "color-dodge", color_burn: "color-burn", hard_light: "hard-light",
  soft_light: "soft-light", difference: "difference", exclusion: "exclusion",
  hue: "hue", saturation: "saturation", color: "color", luminosity: "luminosity",
};

export const COLORS = {
  hull: "#ff8a3d",
  edges: "rgba(88, 196, 221, 0.85)",
  vertex: "#f4f6fa",
  vertexRing: "#11151c",
  selected: "#ffd166",
  failed: "#ff6b6b",
};

/** A layer's mesh (Spine attachment JSON) in canvas pixel coordinates. */
export function parseMesh(attachment, bounds) {
  const w = Number(attachment.width) || bounds.width;
  const h = Number(attachment.height) || bounds.height;
  const flat = attachment.vertices || [];
  const count = Math.floor(flat.length / 2);
  const points = new Float64Array(count * 2);
  for (let i = 0; i < count; i++) {
    points[2 * i] = bounds.x + flat[2 * i] + w / 2;
    points[2 * i + 1] = bounds.y + h / 2 - flat[2 * i + 1];
  }
  const triangles = Uint32Array.from(attachment.triangles || []);
  const hull = Math.min(Number(attachment.hull) || 0, count);
  const hullEdges = new Set();
  for (let i = 0; i < hull; i++) {
    const a = i, b = (i + 1) % hull;
    hullEdges.add(a < b ? `${a},${b}` : `${b},${a}`);
  }
  const interior = [];
  const seen = new Set();
  for (let t = 0; t + 2 < triangles.length; t += 3) {
    for (const [a, b] of [[triangles[t], triangles[t + 1]], [triangles[t + 1], triangles[t + 2]], [triangles[t + 2], triangles[t]]]) {
      const key = a < b ? `${a},${b}` : `${b},${a}`;
      if (seen.has(key) || hullEdges.has(key)) continue;
      seen.add(key);
      interior.push(a, b);
    }
  }
  return { points, triangles, hull, interior: Uint32Array.from(interior), vertexCount: count };
}

function inTriangle(px, py, ax, ay, bx, by, cx, cy) {
  const d1 = (px - bx) * (ay - by) - (ax - bx) * (py - by);
  const d2 = (px - cx) * (by - cy) - (bx - cx) * (py - cy);
  const d3 = (px - ax) * (cy - ay) - (cx - ax) * (py - ay);
  const neg = d1 < 0 || d2 < 0 || d3 < 0;
  const pos = d1 > 0 || d2 > 0 || d3 > 0;
  return !(neg && pos);
}

function checkerPattern(ctx) {
  const tile = document.createElement("canvas");
  tile.width = tile.height = 16;
  const t = tile.getContext("2d");
  t.fillStyle = "#2b303b"; t.fillRect(0, 0, 16, 16);
  t.fillStyle = "#333946"; t.fillRect(0, 0, 8, 8); t.fillRect(8, 8, 8, 8);
  return ctx.createPattern(tile, "repeat");
}

export class Viewer {
  /**
   * model: {width, height, layers: [...] (back to front), images: Map, meshes: Map,
   *         selected: id|null, hiddenMeshes: Set}
   * opts: {overlays, background, margin, onSelect(id), onZoom(scale)}
   */
  constructor(canvas, model, opts = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.model = model;
    this.opts = { overlays: true, background: null, margin: 32, onSelect: () => {}, onZoom: () => {}, ...opts };
    this.show = { art: true, hull: true, edges: true, vertices: true };
    this.scale = 1;
    this.ox = 0;
    this.oy = 0;
    this.fitted = false;
    this.pending = false;
    this.pattern = checkerPattern(this.ctx);
    this.dpr = window.devicePixelRatio || 1;
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(canvas.parentElement);
    this.bind();
    this.resize();
  }

  dispose() { this.observer.disconnect(); }

  resize() {
    const box = this.canvas.parentElement.getBoundingClientRect();
    this.dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(box.width * this.dpr));
    const h = Math.max(1, Math.round(box.height * this.dpr));
    if (w === this.canvas.width && h === this.canvas.height && this.fitted) return;
    this.canvas.width = w;
    this.canvas.height = h;
    if (!this.userMoved) this.fit(); else this.invalidate();
  }

  /** Show the whole document, centred. */
  fit() {
    const { width, height } = this.model;
    if (!width || !height) { this.invalidate(); return; }
    const m = this.opts.margin * this.dpr;
    const cw = this.canvas.width, ch = this.canvas.height;
    this.scale = Math.max(0.01, Math.min((cw - 2 * m) / width, (ch - 2 * m) / height));
    this.ox = (cw - width * this.scale) / 2;
    this.oy = (ch - height * this.scale) / 2;
    this.fitted = true;
    this.userMoved = false;
    this.opts.onZoom(this.scale / this.dpr);
    this.invalidate();
  }

  zoomAt(factor, sx = this.canvas.width / 2, sy = this.canvas.height / 2) {
    const next = Math.min(64 * this.dpr, Math.max(0.02 * this.dpr, this.scale * factor));
    const f = next / this.scale;
    this.ox = sx - (sx - this.ox) * f;
    this.oy = sy - (sy - this.oy) * f;
    this.scale = next;
    this.userMoved = true;
    this.opts.onZoom(this.scale / this.dpr);
    this.invalidate();
  }

  panBy(dx, dy) {
    this.ox += dx;
    this.oy += dy;
    this.userMoved = true;
    this.invalidate();
  }

  toDoc(clientX, clientY) {
    const r = this.canvas.getBoundingClientRect();
    const sx = (clientX - r.left) * this.dpr, sy = (clientY - r.top) * this.dpr;
    return [(sx - this.ox) / this.scale, (sy - this.oy) / this.scale, sx, sy];
  }

  /** The topmost layer whose mesh (else box) holds the document point. */
  layerAt(x, y) {
    const layers = [...this.model.layers].reverse();
    for (const layer of layers) {
      const mesh = this.model.meshes.get(layer.id);
      if (!mesh) continue;
      const p = mesh.points, t = mesh.triangles;
      for (let i = 0; i + 2 < t.length; i += 3) {
        if (inTriangle(x, y, p[2 * t[i]], p[2 * t[i] + 1], p[2 * t[i + 1]], p[2 * t[i + 1] + 1], p[2 * t[i + 2]], p[2 * t[i + 2] + 1])) {
          return layer.id;
        }
      }
    }
    for (const layer of layers) {
      const b = layer.bounds;
      if (x >= b.x && y >= b.y && x < b.x + b.width && y < b.y + b.height) return layer.id;
    }
    return null;
  }

  bind() {
    const c = this.canvas;
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      const [, , sx, sy] = this.toDoc(e.clientX, e.clientY);
      this.zoomAt(Math.exp(-e.deltaY * 0.0015), sx, sy);
    }, { passive: false });
    let drag = null;
    c.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      c.setPointerCapture(e.pointerId);
      drag = { x: e.clientX, y: e.clientY, moved: false };
    });
    c.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      drag.moved = true;
      c.classList.add("panning");
      this.panBy(dx * this.dpr, dy * this.dpr);
      drag.x = e.clientX;
      drag.y = e.clientY;
    });
    c.addEventListener("pointerup", (e) => {
      if (drag && !drag.moved && this.opts.overlays) {
        const [x, y] = this.toDoc(e.clientX, e.clientY);
        const id = this.layerAt(x, y);
        if (id !== null) this.opts.onSelect(id);
      }
      drag = null;
      c.classList.remove("panning");
    });
    c.addEventListener("keydown", (e) => {
      const step = 40 * this.dpr;
      const keys = {
        "+": () => this.zoomAt(1.25), "=": () => this.zoomAt(1.25), "-": () => this.zoomAt(0.8),
        "0": () => this.fit(), ArrowLeft: () => this.panBy(step, 0), ArrowRight: () => this.panBy(-step, 0),
        ArrowUp: () => this.panBy(0, step), ArrowDown: () => this.panBy(0, -step),
      };
      const action = keys[e.key];
      if (action) { e.preventDefault(); action(); }
    });
  }

  invalidate() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.draw(); });
  }

  draw() {
    const { ctx, canvas, model } = this;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.globalAlpha = 1;
    ctx.globalCompositeOperation = "source-over";
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!model.width || !model.height) return;
    ctx.setTransform(this.scale, 0, 0, this.scale, this.ox, this.oy);
    // the document: a solid background (composite view) or the transparency checkerboard
    if (this.opts.background) {
      ctx.fillStyle = this.opts.background;
      ctx.fillRect(0, 0, model.width, model.height);
    } else {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.beginPath();
      ctx.rect(this.ox, this.oy, model.width * this.scale, model.height * this.scale);
      ctx.clip();
      ctx.fillStyle = this.pattern;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.restore();
    }
    if (this.show.art) {
      ctx.save();
      ctx.beginPath();
      ctx.rect(0, 0, model.width, model.height);
      ctx.clip();
      // zoomed in, show the pixels as they are (coverage is judged per pixel)
      ctx.imageSmoothingEnabled = this.scale / this.dpr < 2;
      ctx.imageSmoothingQuality = "high";
      for (const layer of model.layers) {
        const image = model.images.get(layer.id);
        if (!image || !layer.visible) continue;
        ctx.globalAlpha = Math.max(0, Math.min(1, layer.opacity ?? 1));
        ctx.globalCompositeOperation = BLEND[layer.blend_mode] || "source-over";
        ctx.drawImage(image, layer.bounds.x, layer.bounds.y, layer.bounds.width, layer.bounds.height);
      }
      ctx.restore();
      ctx.globalAlpha = 1;
      ctx.globalCompositeOperation = "source-over";
    }
    if (!this.opts.overlays) return;
    const selected = model.selected;
    for (const layer of model.layers) {
      if (layer.id === selected) continue;
      this.drawMesh(layer, selected !== null && selected !== undefined ? 0.4 : 1, false);
    }
    const chosen = model.layers.find((l) => l.id === selected);
    if (chosen) this.drawMesh(chosen, 1, true);
  }

  drawMesh(layer, alpha, isSelected) {
    const mesh = this.model.meshes.get(layer.id);
    if (!mesh || (this.model.hiddenMeshes.has(layer.id) && !isSelected)) return;
    const { ctx } = this;
    const px = 1 / this.scale * this.dpr; // one CSS pixel in document units
    const p = mesh.points;
    ctx.globalAlpha = alpha;
    if (this.show.edges && mesh.interior.length) {
      ctx.beginPath();
      for (let i = 0; i < mesh.interior.length; i += 2) {
        const a = mesh.interior[i], b = mesh.interior[i + 1];
        ctx.moveTo(p[2 * a], p[2 * a + 1]);
        ctx.lineTo(p[2 * b], p[2 * b + 1]);
      }
      ctx.strokeStyle = COLORS.edges;
      ctx.lineWidth = px;
      ctx.stroke();
    }
    if (this.show.hull && mesh.hull >= 2) {
      ctx.beginPath();
      ctx.moveTo(p[0], p[1]);
      for (let i = 1; i < mesh.hull; i++) ctx.lineTo(p[2 * i], p[2 * i + 1]);
      ctx.closePath();
      ctx.lineJoin = "round";
      if (isSelected) {
        ctx.strokeStyle = "rgba(255, 209, 102, 0.35)";
        ctx.lineWidth = 6 * px;
        ctx.stroke();
      }
      const failed = layer.status === "failed";
      ctx.strokeStyle = failed ? COLORS.failed : isSelected ? COLORS.selected : COLORS.hull;
      ctx.lineWidth = (isSelected ? 2.5 : 2) * px;
      if (failed) ctx.setLineDash([6 * px, 4 * px]);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (this.show.vertices) {
      const r = (isSelected ? 3.5 : 2.75) * px;
      ctx.fillStyle = COLORS.vertex;
      ctx.strokeStyle = COLORS.vertexRing;
      ctx.lineWidth = px;
      ctx.beginPath();
      for (let i = 0; i < mesh.vertexCount; i++) {
        ctx.moveTo(p[2 * i] + r, p[2 * i + 1]);
        ctx.arc(p[2 * i], p[2 * i + 1], r, 0, Math.PI * 2);
      }
      ctx.fill();
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
  }
}
