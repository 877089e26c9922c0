// The right-hand panel: the selected layer's figures and its mesh settings as sliders.
import { badge, h, nextId, replace } from "./dom.js";
import { PRIMARY, formatValue, helpOf, labelOf, stepOf } from "./params.js";

const DEBOUNCE_MS = 250;

function figure(label, value, id) {
  return h("div", { class: "figure" },
    h("dt", {}, label),
    h("dd", { id }, value));
}

function percent(x) { return x === null || x === undefined ? "–" : `${(x * 100).toFixed(1)}%`; }

/** The parts that change while the layer is meshed: status, error, figures. */
function fillLive(live, ctx) {
  const { layer } = ctx;
  const fig = (layer.mesh && layer.mesh.figures) || {};
  const busy = layer.status === "processing" || layer.status === "pending";
  const status = h("div", { class: "inspector-status" }, badge(layer.status),
    busy ? h("span", { class: "muted" }, ` ${layer.message || "Queued"} ${layer.progress ? `${layer.progress}%` : ""}`) : null);
  const regen = ctx.lastRegenMs != null
    ? h("p", { class: "regen-note", id: "regen-note", "data-ms": String(Math.round(ctx.lastRegenMs)) },
      `Regenerated and redrawn in ${(ctx.lastRegenMs / 1000).toFixed(2)} s`)
    : null;
  const failed = layer.status === "failed"
    ? h("div", { class: "error-box", role: "alert" },
      h("p", {}, layer.error || "Meshing failed."),
      h("p", { class: "small muted" }, layer.mesh
        ? `The last good mesh (v${layer.mesh.version}) is drawn dashed; the layer is left out of the export until it meshes again.`
        : "The layer is left out of the export until it meshes."),
      h("button", { type: "button", class: "btn btn-small", onclick: () => ctx.onRetry(layer) }, "Retry"))
    : null;
  const figures = h("dl", { class: "figures", "aria-label": "Mesh figures" },
    figure("Vertices", fig.vertices ?? "–", "fig-vertices"),
    figure("Hull", fig.hull ?? "–", "fig-hull"),
    figure("Triangles", fig.triangles ?? "–", "fig-triangles"),
    figure("Overdraw", percent(fig.overdraw), "fig-overdraw"),
    figure("Time", layer.mesh_ms != null ? `${Math.round(layer.mesh_ms)} ms` : "–", "fig-time"),
    figure("Version", layer.mesh ? `v${layer.mesh.version}` : "–", "fig-version"));
  replace(live, status, failed, figures, regen);
  const download = live.parentElement && live.parentElement.querySelector("#download-mesh");
  if (download) download.disabled = !layer.mesh;
}

/** Refresh the selected layer's status and figures without touching the sliders. */
export function updateInspector(panel, ctx) {
  const live = panel.querySelector(".inspector-live");
  if (live && ctx.layer) fillLive(live, ctx);
}

/**
 * ctx: {schema, project, layer, effective(layer), onChange(layer, params), onReset(layer),
 *       onApplyAll(layer), onRetry(layer), onDownloadMesh(layer), lastRegenMs}
 */
export function renderInspector(panel, ctx) {
  const { layer, schema } = ctx;
  if (!layer) {
    replace(panel,
      h("h2", { class: "panel-title" }, "Inspector"),
      h("p", { class: "muted" }, "Select a layer in the list or click it on the canvas to see its mesh and tune it."));
    return;
  }
  const live = h("div", { class: "inspector-live" });
  fillLive(live, ctx);

  const values = ctx.effective(layer);
  const controls = new Map();
  let timer = null;
  const changed = {};
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const next = { ...layer.parameters, ...changed };
      ctx.onChange(layer, next);
    }, DEBOUNCE_MS);
  };

  function control(spec) {
    const id = nextId("p");
    const helpId = `${id}-help`;
    const value = values[spec.name] ?? spec.default;
    const overridden = Object.prototype.hasOwnProperty.call(layer.parameters || {}, spec.name);
    const label = h("label", { for: id }, labelOf(spec.name),
      overridden ? h("span", { class: "overridden", title: "Set for this layer" }, " •") : null);
    const help = h("p", { class: "hint", id: helpId }, helpOf(spec.name));
    let input, output = null;
    if (spec.type === "bool") {
      input = h("input", { type: "checkbox", id, name: spec.name, checked: Boolean(value), "aria-describedby": helpId });
      input.addEventListener("change", () => { changed[spec.name] = input.checked; schedule(); });
      return h("div", { class: "param param-bool", dataset: { param: spec.name } }, input, label, help);
    }
    if (spec.type === "choice") {
      input = h("select", { id, name: spec.name, "aria-describedby": helpId },
        spec.choices.map((c) => h("option", { value: c, selected: c === value }, c.replace(/_/g, " "))));
      input.addEventListener("change", () => { changed[spec.name] = input.value; schedule(); });
      return h("div", { class: "param", dataset: { param: spec.name } }, label, input, help);
    }
    const step = stepOf(spec);
    output = h("output", { for: id, class: "param-value" }, formatValue(spec, value));
    input = h("input", {
      type: "range", id, name: spec.name, min: spec.min, max: spec.max, step,
      value: String(value), "aria-describedby": helpId,
    });
    controls.set(spec.name, input);
    const read = () => {
      let v = spec.type === "int" ? parseInt(input.value, 10) : parseFloat(input.value);
      if (spec.name === "max_hull_vertices" && v > 0 && v < 3) v = 3;
      return v;
    };
    input.addEventListener("input", () => { output.textContent = formatValue(spec, read()); });
    input.addEventListener("change", () => { changed[spec.name] = read(); schedule(); });
    return h("div", { class: "param", dataset: { param: spec.name } },
      h("div", { class: "param-head" }, label, output), input, help);
  }

  const primary = schema.filter((s) => PRIMARY.includes(s.name)).sort((a, b) => PRIMARY.indexOf(a.name) - PRIMARY.indexOf(b.name));
  const rest = schema.filter((s) => !PRIMARY.includes(s.name));
  const form = h("form", { class: "params", "aria-label": `Mesh settings of ${layer.name}`, onsubmit: (e) => e.preventDefault() },
    primary.map(control),
    h("details", { class: "more" }, h("summary", {}, "More settings"), rest.map(control)));

  const actions = h("div", { class: "inspector-actions" },
    h("button", { type: "button", class: "btn", id: "reset-defaults", onclick: () => ctx.onReset(layer) }, "Reset to defaults"),
    h("button", { type: "button", class: "btn", id: "apply-all", onclick: () => ctx.onApplyAll(layer) }, "Apply to all layers"),
    h("button", { type: "button", class: "btn btn-ghost", id: "download-mesh", disabled: !layer.mesh,
      onclick: () => ctx.onDownloadMesh(layer) }, "Download mesh JSON"));

  const b = layer.bounds || {};
  replace(panel,
    h("h2", { class: "panel-title inspector-name", id: "inspector-name" }, layer.name),
    h("p", { class: "muted small" }, `${b.width}×${b.height} px at ${b.x}, ${b.y}`,
      layer.visible ? "" : " · hidden in the PSD",
      layer.blend_mode && layer.blend_mode !== "normal" ? ` · ${layer.blend_mode}` : "",
      layer.opacity < 1 ? ` · ${Math.round(layer.opacity * 100)}% opacity` : ""),
    live,
    h("h3", { class: "sub-title" }, "Mesh settings"),
    form, actions);
}
