// One project: layers (left), the stage with every mesh over the composite (centre), the
// selected layer's inspector (right); live progress; Spine preview; downloads.
import { ApiError, api, endpoints, fetchBlob, unauthorized, uploadForm } from "./api.js";
import { badge, h, replace, safeFileName, saveBlob, toast } from "./dom.js";
import { renderInspector, updateInspector } from "./inspector.js";
import { LiveFeed } from "./live.js";
import { PREVIEW_BACKGROUND, showPreview } from "./preview.js";
import { Viewer, parseMesh } from "./viewer.js";

let schemaCache = null;
async function parameterSchema() {
  if (!schemaCache) schemaCache = await api("GET", endpoints.parameters);
  return schemaCache;
}

const FINAL = new Set(["completed", "failed"]);

export async function renderProject(main, [rawId], { navigate, setCrumbs }) {
  const id = Number(rawId);
  main.className = "page-project";
  setCrumbs([{ label: "Projects", href: "/projects" }, { label: `Project ${id}` }]);
  replace(main, h("p", { class: "muted pad" }, "Loading the project…"));

  let scene, schema;
  try {
    [scene, schema] = await Promise.all([api("GET", endpoints.scene(id)), parameterSchema()]);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      replace(main, h("section", { class: "page narrow" }, h("h1", {}, "Project not found"),
        h("p", {}, "It does not exist, or it is not yours. ", h("a", { href: "/projects" }, "Back to your projects"))));
      return null;
    }
    replace(main, h("p", { class: "form-error pad", role: "alert" }, `Could not load the project: ${e.message}`));
    return null;
  }

  // ------------------------------------------------------------------ state
  const model = {
    width: scene.width, height: scene.height, layers: [], images: new Map(), meshes: new Map(),
    meshVersions: new Map(), selected: null, hiddenMeshes: new Set(),
  };
  let project = scene.project;
  const layers = new Map(); // id -> layer (API fields + progress/message)
  const regenStarted = new Map(); // layer id -> performance.now() of the PATCH
  let lastRegenMs = null;
  let disposed = false;
  let uploading = Boolean(history.state && history.state.uploaded === id);

  const defaults = Object.fromEntries(schema.map((s) => [s.name, s.default]));
  const effective = (layer) => ({ ...defaults, ...(project.parameters || {}), ...(layer.parameters || {}) });

  // ------------------------------------------------------------------ layout
  const title = h("h1", { class: "project-title", id: "project-title" }, project.name);
  const statusBox = h("span", { id: "project-status" });
  const liveBox = h("span", { class: "live-indicator", id: "live-mode", title: "How progress reaches this page" });
  const summary = h("p", { class: "summary", id: "summary", "aria-live": "polite" });
  const downloadZip = h("button", { type: "button", class: "btn btn-primary", id: "download-zip", disabled: true, onclick: downloadExport },
    "Download Spine zip");
  const banner = h("div", { class: "banner", id: "project-banner", hidden: true, role: "alert" });

  const uploadInput = h("input", { type: "file", accept: ".psd,.psb,.png", class: "visually-hidden", id: "reupload-input", tabindex: -1, "aria-label": "A PSD or PNG for this project" });
  uploadInput.addEventListener("change", () => { reupload(uploadInput.files); uploadInput.value = ""; });
  const layerList = h("ul", { class: "layer-list", id: "layer-list", "aria-label": "Layers, topmost first" });
  const layersPanel = h("aside", { class: "panel layers-panel", "aria-labelledby": "layers-title" },
    h("h2", { class: "panel-title", id: "layers-title" }, "Layers ", h("span", { class: "count", id: "layer-count" })),
    layerList);

  const toggles = ["art", "hull", "edges", "vertices"].map((key) => {
    const label = { art: "Art", hull: "Hull", edges: "Interior edges", vertices: "Vertices" }[key];
    const input = h("input", { type: "checkbox", id: `show-${key}`, checked: true });
    input.addEventListener("change", () => { viewer.show[key] = input.checked; viewer.invalidate(); });
    return h("label", { class: `toggle toggle-${key}`, for: `show-${key}` }, input, h("span", { class: "swatch", "aria-hidden": "true" }), label);
  });
  const zoomLabel = h("output", { class: "zoom-label", id: "zoom-label", "aria-live": "off" }, "100%");
  const toolbar = h("div", { class: "toolbar", role: "toolbar", "aria-label": "View" },
    h("div", { class: "toggles" }, toggles),
    h("div", { class: "zoom" },
      h("button", { type: "button", class: "btn btn-icon", "aria-label": "Zoom out", onclick: () => viewer.zoomAt(0.8) }, "−"),
      zoomLabel,
      h("button", { type: "button", class: "btn btn-icon", "aria-label": "Zoom in", onclick: () => viewer.zoomAt(1.25) }, "+"),
      h("button", { type: "button", class: "btn btn-small", onclick: () => viewer.fit() }, "Fit")));
  const canvas = h("canvas", {
    id: "stage-canvas", tabindex: 0, role: "img",
    "aria-label": "The character with every layer's mesh. Drag or use the arrow keys to pan; wheel, + and - to zoom; 0 to fit; click a layer to select it.",
  });
  const stageWrap = h("div", { class: "canvas-wrap" }, canvas);

  const compositeCanvas = h("canvas", { id: "composite-canvas", role: "img", "aria-label": "The PSD composite" });
  const compositeBox = h("div", { class: "preview-box", id: "composite-box" }, compositeCanvas);
  const playerBox = h("div", { class: "preview-box", id: "player-box" });
  const previewStatus = h("p", { class: "muted", id: "preview-status", "aria-live": "polite" });
  const previewPanel = h("div", { class: "tab-panel preview-panel", id: "panel-preview", role: "tabpanel", "aria-labelledby": "tab-preview", hidden: true },
    h("div", { class: "preview-head" },
      previewStatus,
      h("button", { type: "button", class: "btn btn-small", id: "reload-preview", onclick: () => openPreview(true) }, "Reload preview")),
    h("div", { class: "preview-grid" },
      h("figure", {}, compositeBox, h("figcaption", {}, "PSD composite")),
      h("figure", {}, playerBox, h("figcaption", {}, "Spine setup pose (official Spine web player)"))));
  const meshPanel = h("div", { class: "tab-panel", id: "panel-meshes", role: "tabpanel", "aria-labelledby": "tab-meshes" },
    toolbar, stageWrap,
    h("p", { class: "legend", "aria-hidden": "true" },
      h("span", { class: "key key-hull" }), "hull ", h("span", { class: "key key-edges" }), "interior edges ",
      h("span", { class: "key key-vertex" }), "vertices"));

  const tabMeshes = h("button", { type: "button", role: "tab", id: "tab-meshes", "aria-controls": "panel-meshes", "aria-selected": "true" }, "Meshes");
  const tabPreview = h("button", { type: "button", role: "tab", id: "tab-preview", "aria-controls": "panel-preview", "aria-selected": "false", tabindex: -1 }, "Spine preview");
  const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": "Stage" }, tabMeshes, tabPreview);
  const selectTab = (which) => {
    const preview = which === "preview";
    tabMeshes.setAttribute("aria-selected", String(!preview));
    tabPreview.setAttribute("aria-selected", String(preview));
    tabMeshes.tabIndex = preview ? -1 : 0;
    tabPreview.tabIndex = preview ? 0 : -1;
    meshPanel.hidden = preview;
    previewPanel.hidden = !preview;
    if (preview) openPreview(false); else viewer.resize();
  };
  tabMeshes.addEventListener("click", () => selectTab("meshes"));
  tabPreview.addEventListener("click", () => selectTab("preview"));
  tabs.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
    const next = document.activeElement === tabMeshes ? tabPreview : tabMeshes;
    next.focus();
    next.click();
  });

  const stage = h("section", { class: "stage", "aria-label": "Stage" }, tabs, meshPanel, previewPanel);
  const inspector = h("aside", { class: "panel inspector", id: "inspector", "aria-label": "Layer inspector" });

  replace(main,
    h("div", { class: "project-head" },
      h("div", { class: "project-heading" }, title, statusBox, liveBox),
      summary,
      h("div", { class: "project-actions" }, downloadZip)),
    banner, uploadInput,
    h("div", { class: "workspace" }, layersPanel, stage, inspector));

  const viewer = new Viewer(canvas, model, {
    onSelect: (layerId) => select(layerId, true),
    onZoom: (scale) => { zoomLabel.textContent = `${Math.round(scale * 100)}%`; },
  });
  let composite = null;

  // ------------------------------------------------------------------ rendering
  function ordered() { return [...layers.values()].sort((a, b) => a.position - b.position); }

  function renderHead() {
    title.textContent = project.name;
    setCrumbs([{ label: "Projects", href: "/projects" }, { label: project.name }]);
    document.title = `${project.name} · SpineLift`;
    replace(statusBox, badge(project.status));
    document.body.dataset.projectStatus = project.status;
    const all = [...layers.values()];
    const done = all.filter((l) => l.status === "completed").length;
    const failed = all.filter((l) => l.status === "failed").length;
    if (!all.length) {
      summary.textContent = emptyText();
    } else {
      summary.textContent = `${done} of ${all.length} layers meshed` + (failed ? `, ${failed} failed` : "");
    }
    downloadZip.disabled = project.status !== "completed";
    tabPreview.disabled = project.status !== "completed";
    if (project.status === "failed" && !all.some((l) => l.status === "completed")) {
      banner.hidden = false;
      replace(banner, h("p", {}, h("strong", {}, "Processing failed: "), project.error || "unknown error"),
        h("button", { type: "button", class: "btn", onclick: () => uploadInput.click() }, "Upload another file"));
    } else {
      banner.hidden = true;
    }
  }

  function emptyText() {
    if (project.status === "failed") return "Nothing could be read from the upload.";
    if (project.status === "processing") return "Extracting the layers…";
    if (uploading) return "Uploaded: waiting for a worker to read the file…";
    return "No file uploaded yet.";
  }

  function statusLine(layer) {
    if (layer.status === "completed" && layer.mesh && layer.mesh.figures) {
      const f = layer.mesh.figures;
      return `${f.vertices} vertices · ${(f.overdraw * 100).toFixed(1)}% overdraw`;
    }
    if (layer.status === "failed") return layer.error || "Failed";
    if (layer.status === "processing") return `${layer.message || "Meshing"} ${layer.progress || 0}%`;
    return layer.message || "Queued";
  }

  function renderLayerRow(layer) {
    let row = layerList.querySelector(`li[data-layer-id="${layer.id}"]`);
    const showId = `show-mesh-${layer.id}`;
    if (!row) {
      const show = h("input", { type: "checkbox", id: showId, checked: !model.hiddenMeshes.has(layer.id), class: "mesh-toggle" });
      show.addEventListener("change", () => {
        if (show.checked) model.hiddenMeshes.delete(layer.id); else model.hiddenMeshes.add(layer.id);
        viewer.invalidate();
      });
      const toggleLabel = h("label", { for: showId, class: "visually-hidden" });
      const name = h("span", { class: "layer-name" });
      const line = h("span", { class: "layer-line" });
      const bar = h("progress", { max: 100, value: 0, class: "layer-progress" });
      const selectButton = h("button", { type: "button", class: "layer-select" }, name, line, bar);
      selectButton.addEventListener("click", () => select(layer.id, false));
      selectButton.addEventListener("keydown", (e) => {
        if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
        e.preventDefault();
        const rows = [...layerList.querySelectorAll(".layer-select")];
        const i = rows.indexOf(selectButton) + (e.key === "ArrowDown" ? 1 : -1);
        if (rows[i]) { rows[i].focus(); rows[i].click(); }
      });
      const retry = h("button", { type: "button", class: "btn btn-small retry", hidden: true, onclick: () => retryLayer(layers.get(layer.id)) }, "Retry");
      row = h("li", { class: "layer-row", dataset: { layerId: String(layer.id) } },
        h("span", { class: "mesh-toggle-wrap" }, show, toggleLabel), selectButton, retry);
      layerList.append(row);
    }
    row.dataset.status = layer.status;
    row.classList.toggle("selected", model.selected === layer.id);
    row.classList.toggle("hidden-layer", !layer.visible);
    const selectButton = row.querySelector(".layer-select");
    selectButton.setAttribute("aria-pressed", String(model.selected === layer.id));
    row.querySelector(".layer-name").textContent = layer.name;
    row.querySelector(".layer-line").textContent = statusLine(layer);
    row.querySelector(`label[for="${showId}"]`).textContent = `Show the mesh of ${layer.name}`;
    const bar = row.querySelector(".layer-progress");
    const busy = !FINAL.has(layer.status);
    bar.hidden = !busy;
    bar.value = layer.status === "completed" ? 100 : layer.progress || 0;
    bar.setAttribute("aria-label", `Progress of ${layer.name}`);
    row.querySelector(".retry").hidden = layer.status !== "failed";
    row.querySelector(".retry").setAttribute("aria-label", `Retry ${layer.name}`);
  }

  function renderLayers() {
    const list = ordered();
    const order = [...list].reverse(); // topmost first, as in Photoshop
    for (const layer of order) renderLayerRow(layer);
    for (const layer of order) layerList.append(layerList.querySelector(`li[data-layer-id="${layer.id}"]`));
    for (const row of [...layerList.children]) if (!layers.has(Number(row.dataset.layerId))) row.remove();
    replace(document.getElementById("layer-count"), list.length ? String(list.length) : "");
    if (!list.length) {
      const idle = project.status === "draft" && !uploading;
      layerList.replaceChildren(h("li", { class: "muted empty" }, emptyText(),
        idle ? h("button", { type: "button", class: "btn btn-small upload-first", onclick: () => uploadInput.click() }, "Upload a PSD or PNG") : null));
    } else {
      layerList.querySelector(".empty")?.remove();
    }
    model.layers = list;
    renderHead();
  }

  function inspectorCtx() {
    return {
      schema, project, layer: layers.get(model.selected), effective, lastRegenMs,
      onChange: regenerate, onReset: (l) => regenerate(l, {}, true),
      onApplyAll: applyAll, onRetry: retryLayer, onDownloadMesh: downloadMesh,
    };
  }

  function select(layerId, fromCanvas) {
    model.selected = layerId;
    renderLayers();
    renderInspector(inspector, inspectorCtx());
    viewer.invalidate();
    if (fromCanvas) layerList.querySelector(`li[data-layer-id="${layerId}"] .layer-select`)?.focus({ preventScroll: false });
  }

  // ------------------------------------------------------------------ data
  function mergeLayer(data) {
    const old = layers.get(data.id) || { progress: 0, message: "" };
    const merged = { ...old, ...data };
    if (merged.status === "completed") merged.progress = 100;
    layers.set(data.id, merged);
    return merged;
  }

  async function loadImage(layer) {
    if (model.images.has(layer.id) || !layer.id) return;
    model.images.set(layer.id, null);
    try {
      const blob = await fetchBlob(endpoints.layerImage(id, layer.id));
      model.images.set(layer.id, await createImageBitmap(blob));
      viewer.invalidate();
      composite?.invalidate();
    } catch {
      model.images.delete(layer.id);
    }
  }

  async function loadMesh(layer) {
    const version = layer.mesh && layer.mesh.version;
    if (!version || model.meshVersions.get(layer.id) === version) return;
    model.meshVersions.set(layer.id, version);
    try {
      const attachment = await api("GET", endpoints.layerMesh(id, layer.id));
      if (disposed) return;
      model.meshes.set(layer.id, parseMesh(attachment, layer.bounds));
      canvas.dataset.meshes = String(model.meshes.size);
      viewer.invalidate();
      const started = regenStarted.get(layer.id);
      if (started !== undefined) {
        regenStarted.delete(layer.id);
        lastRegenMs = performance.now() - started;
        if (model.selected === layer.id) updateInspector(inspector, inspectorCtx());
      }
    } catch {
      model.meshVersions.delete(layer.id);
    }
  }

  function applyScene(next) {
    project = next.project;
    model.width = next.width;
    model.height = next.height;
    const seen = new Set();
    for (const data of next.layers) {
      seen.add(data.id);
      const old = layers.get(data.id);
      // a regeneration queued after this scene was read stays pending until its event
      const keepPending = old && regenStarted.has(data.id) && data.status === "completed"
        && old.mesh && data.mesh && old.mesh.version === data.mesh.version;
      const layer = mergeLayer(keepPending ? { ...data, status: old.status } : data);
      loadImage(layer);
      if (layer.status === "completed" || layer.mesh) loadMesh(layer);
    }
    for (const layerId of [...layers.keys()]) if (!seen.has(layerId)) { layers.delete(layerId); model.meshes.delete(layerId); }
    if (!viewer.fitted || !viewer.userMoved) viewer.fit();
    renderLayers();
    if (model.selected === null && model.layers.length) {
      select(model.layers[model.layers.length - 1].id, false);
    } else if (model.selected !== null && !layers.has(model.selected)) {
      model.selected = null;
      renderInspector(inspector, inspectorCtx());
    } else {
      updateInspector(inspector, inspectorCtx());
    }
    viewer.invalidate();
  }

  let sceneTimer = null, sceneBusy = false, sceneAgain = false;
  function refreshScene(delay = 120) {
    if (sceneTimer) return;
    sceneTimer = setTimeout(async () => {
      sceneTimer = null;
      if (sceneBusy) { sceneAgain = true; return; }
      sceneBusy = true;
      try { applyScene(await api("GET", endpoints.scene(id))); } catch { /* the next event retries */ }
      sceneBusy = false;
      if (sceneAgain && !disposed) { sceneAgain = false; refreshScene(0); }
    }, delay);
  }

  function onSnapshot(snap) {
    project = { ...project, ...snap.project };
    let stale = false;
    for (const s of snap.layers) {
      const old = layers.get(s.id);
      if (!old) { stale = true; continue; }
      const figures = s.mesh || null;
      const changed = old.status !== s.status
        || JSON.stringify((old.mesh && old.mesh.figures) || null) !== JSON.stringify(figures);
      if (regenStarted.has(s.id) && s.status === "completed" && !changed) continue;
      mergeLayer({ id: s.id, status: s.status, progress: s.progress, message: s.message, error: s.error });
      if (changed && s.status === "completed") stale = true;
    }
    if (snap.layers.length !== layers.size) stale = true;
    if (stale) refreshScene(); else { renderLayers(); updateInspector(inspector, inspectorCtx()); }
  }

  function onEvent(event) {
    if (event.type === "project") {
      project = { ...project, status: event.status, error: event.error ?? project.error };
      renderHead();
      if (FINAL.has(event.status)) refreshScene();
      if (event.status === "completed") toast("All layers are meshed.", "ok");
      return;
    }
    if (event.type !== "layer") return;
    const layer = layers.get(event.layer_id);
    if (!layer) { refreshScene(); return; }
    const update = { id: event.layer_id, status: event.status, progress: event.progress, message: event.message };
    if (event.error !== undefined) update.error = event.error;
    mergeLayer(update);
    renderLayerRow(layers.get(event.layer_id));
    renderHead();
    if (model.selected === event.layer_id) updateInspector(inspector, inspectorCtx());
    if (event.status === "completed" || event.status === "failed") refreshScene(30);
  }

  const feed = new LiveFeed(id, {
    onSnapshot, onEvent,
    onMode: (mode) => {
      liveBox.textContent = { live: "Live", polling: "Polling", connecting: "Connecting…", stopped: "Offline" }[mode] || mode;
      liveBox.dataset.mode = mode;
    },
    onGone: (code) => {
      if (code === 4401) unauthorized(); // the token expired or was signed out
      else toast("This project is gone.", "error");
    },
  });

  // ------------------------------------------------------------------ actions
  async function regenerate(layer, parameters, rebuild = false) {
    try {
      regenStarted.set(layer.id, performance.now());
      mergeLayer({ id: layer.id, status: "pending", progress: 0, message: "Queued", parameters });
      renderLayerRow(layers.get(layer.id));
      await api("PATCH", endpoints.layer(id, layer.id), { json: { parameters } });
      if (model.selected === layer.id) {
        if (rebuild) renderInspector(inspector, inspectorCtx());
        else updateInspector(inspector, inspectorCtx());
      }
    } catch (e) {
      regenStarted.delete(layer.id);
      toast(`Could not regenerate ${layer.name}: ${e.message}`, "error", 8000);
      refreshScene(0);
    }
  }

  async function applyAll(source) {
    const parameters = { ...(source.parameters || {}) };
    const targets = ordered();
    let failed = 0;
    for (const layer of targets) {
      try {
        regenStarted.set(layer.id, performance.now());
        mergeLayer({ id: layer.id, status: "pending", progress: 0, message: "Queued", parameters });
        renderLayerRow(layers.get(layer.id));
        await api("PATCH", endpoints.layer(id, layer.id), { json: { parameters } });
      } catch {
        regenStarted.delete(layer.id);
        failed += 1;
      }
    }
    toast(failed ? `${failed} layers could not be queued.` : `Settings applied to ${targets.length} layers.`, failed ? "error" : "ok");
    renderInspector(inspector, inspectorCtx());
  }

  function retryLayer(layer) { regenerate(layer, { ...(layer.parameters || {}) }); }

  async function downloadMesh(layer) {
    try {
      const blob = await fetchBlob(endpoints.layerMesh(id, layer.id));
      saveBlob(blob, `${safeFileName(layer.name, `layer-${layer.id}`)}.mesh.json`);
    } catch (e) { toast(`Download failed: ${e.message}`, "error"); }
  }

  async function downloadExport() {
    downloadZip.disabled = true;
    const label = downloadZip.textContent;
    downloadZip.textContent = "Preparing zip…";
    try {
      const blob = await fetchBlob(endpoints.exportZip(id));
      saveBlob(blob, `${safeFileName(project.name, `project-${id}`)}.zip`);
    } catch (e) {
      toast(`Download failed: ${e.message}`, "error");
    } finally {
      downloadZip.textContent = label;
      downloadZip.disabled = project.status !== "completed";
    }
  }

  async function reupload(files) {
    const file = files && files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file, file.name);
    try {
      summary.textContent = "Uploading…";
      await uploadForm(endpoints.upload(id), form, (loaded, total) => {
        summary.textContent = `Uploading ${Math.round((loaded / total) * 100)}%`;
      });
      uploading = true;
      project = { ...project, error: null };
      layers.clear();
      model.meshes.clear(); model.images.clear(); model.meshVersions.clear();
      model.selected = null;
      renderLayers();
      renderInspector(inspector, inspectorCtx());
      refreshScene(500);
    } catch (e) { toast(`Upload failed: ${e.message}`, "error"); }
  }

  // both preview boxes get the document's aspect ratio, as large as their column allows
  function layoutPreview() {
    if (previewPanel.hidden || !model.width || !model.height) return;
    const grid = previewPanel.querySelector(".preview-grid");
    for (const box of [compositeBox, playerBox]) {
      const figure = box.parentElement;
      const caption = figure.querySelector("figcaption");
      const w = figure.clientWidth;
      const hgt = grid.clientHeight - (caption ? caption.offsetHeight + 8 : 0);
      const scale = Math.max(0.05, Math.min(w / model.width, hgt / model.height));
      box.style.setProperty("width", `${Math.floor(model.width * scale)}px`);
      box.style.setProperty("height", `${Math.floor(model.height * scale)}px`);
    }
    composite?.resize();
  }
  const previewObserver = new ResizeObserver(layoutPreview);
  previewObserver.observe(previewPanel);

  let previewState = null; // {player}
  async function openPreview(force) {
    if (!force && previewState) return;
    if (previewState?.player) { try { previewState.player.dispose(); } catch { /* ignore */ } }
    previewState = { player: null };
    playerBox.replaceChildren();
    playerBox.dataset.state = "loading";
    layoutPreview();
    if (!composite) {
      composite = new Viewer(compositeCanvas, model, { overlays: false, background: PREVIEW_BACKGROUND, margin: 0 });
    } else { composite.resize(); composite.fit(); }
    previewStatus.textContent = "Building the Spine export…";
    try {
      const { player } = await showPreview(playerBox, id);
      previewState.player = player;
      playerBox.dataset.state = "ready";
      previewStatus.textContent = "The exported setup pose, drawn by the official Spine runtime, beside the PSD composite.";
    } catch (e) {
      playerBox.dataset.state = "error";
      previewStatus.textContent = "";
      replace(playerBox, h("div", { class: "preview-error", role: "alert" }, e.message));
    }
  }

  // ------------------------------------------------------------------ go
  applyScene(scene);
  feed.start();
  if (model.selected === null) renderInspector(inspector, inspectorCtx());

  return () => {
    disposed = true;
    feed.stop();
    previewObserver.disconnect();
    viewer.dispose();
    composite?.dispose();
    if (previewState?.player) { try { previewState.player.dispose(); } catch { /* ignore */ } }
    delete document.body.dataset.projectStatus;
    document.title = "SpineLift";
  };
}
