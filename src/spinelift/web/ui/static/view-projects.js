// The user's projects and the drop zone that starts a new one from a PSD (or PNGs).
import { api, endpoints, uploadForm } from "./api.js";
import { badge, formatBytes, formatDate, h, replace, toast } from "./dom.js";

const ACCEPT = ".psd,.psb,.png,image/png,image/vnd.adobe.photoshop";

function stem(name) {
  const base = String(name || "").replace(/^.*[\\/]/, "");
  return base.replace(/\.(psd|psb|png)$/i, "") || "Untitled";
}

function isPng(file) { return /\.png$/i.test(file.name) || file.type === "image/png"; }

export async function renderProjects(main, _params, { navigate, setCrumbs }) {
  setCrumbs([{ label: "Projects" }]);
  main.className = "page";

  const input = h("input", {
    type: "file", id: "file-input", accept: ACCEPT, multiple: true, class: "visually-hidden",
    "aria-label": "PSD or PNG files for a new project", "aria-describedby": "drop-hint", tabindex: -1,
  });
  const progress = h("progress", { max: 100, value: 0, id: "upload-progress", "aria-label": "Upload progress" });
  const progressText = h("span", { class: "progress-text", "aria-live": "polite" });
  const progressBox = h("div", { class: "upload-progress", hidden: true }, progress, progressText);
  const zone = h("div", { class: "dropzone", id: "dropzone" },
    h("div", { class: "dropzone-icon", "aria-hidden": "true" }, "⬆"),
    h("p", { class: "dropzone-title" }, "Drop a PSD here to start a project"),
    h("p", { class: "hint", id: "drop-hint" },
      "A PSD or PSB, a PNG, or several PNGs (one layer each, stacked in file-name order)."),
    h("button", { type: "button", class: "btn btn-primary", id: "choose-file", onclick: () => input.click() },
      "Choose files…"),
    input, progressBox);

  const list = h("div", { class: "project-list", "aria-live": "polite", "aria-busy": "true" },
    h("p", { class: "muted" }, "Loading your projects…"));

  replace(main,
    h("div", { class: "page-head" },
      h("h1", {}, "Projects"),
      h("p", { class: "lead" }, "Each project is one PSD: its layers become Spine mesh attachments.")),
    zone,
    h("h2", { class: "section-title" }, "Your projects"),
    list);

  async function start(files) {
    files = Array.from(files || []);
    if (!files.length) return;
    const pngs = files.filter(isPng);
    if (files.length > 1 && pngs.length !== files.length) {
      toast("Drop one PSD, or PNG files only.", "error");
      return;
    }
    const name = files.length > 1 ? `${stem(files[0].name)} + ${files.length - 1} PNGs` : stem(files[0].name);
    const total = files.reduce((n, f) => n + f.size, 0);
    progressBox.hidden = false;
    progress.value = 0;
    progressText.textContent = `Creating project “${name}”…`;
    zone.classList.add("busy");
    try {
      const project = await api("POST", endpoints.projects, { json: { name } });
      const form = new FormData();
      if (files.length === 1) form.append("file", files[0], files[0].name);
      else for (const f of files) form.append("files", f, f.name);
      const path = files.length === 1 ? endpoints.upload(project.id) : endpoints.uploadLayers(project.id);
      await uploadForm(path, form, (loaded, size) => {
        progress.value = Math.round((loaded / size) * 100);
        progressText.textContent = `Uploading ${formatBytes(loaded)} of ${formatBytes(total)} (${progress.value}%)`;
      });
      progress.value = 100;
      progressText.textContent = "Uploaded: opening the project…";
      navigate(`/projects/${project.id}`, { state: { uploaded: project.id } });
    } catch (e) {
      progressText.textContent = "";
      progressBox.hidden = true;
      toast(`Upload failed: ${e.message}`, "error", 8000);
    } finally {
      zone.classList.remove("busy");
      input.value = "";
    }
  }

  input.addEventListener("change", () => start(input.files));
  const over = (e) => { e.preventDefault(); zone.classList.add("over"); };
  const leave = (e) => { if (!main.contains(e.relatedTarget)) zone.classList.remove("over"); };
  const drop = (e) => { e.preventDefault(); zone.classList.remove("over"); start(e.dataTransfer.files); };
  main.addEventListener("dragover", over);
  main.addEventListener("dragleave", leave);
  main.addEventListener("drop", drop);

  async function load() {
    try {
      const page = await api("GET", `${endpoints.projects}?limit=200`);
      list.removeAttribute("aria-busy");
      if (!page.items.length) {
        replace(list, h("p", { class: "muted empty" }, "No project yet: drop a PSD above to make your first."));
        return;
      }
      replace(list, h("ul", { class: "cards" }, page.items.map(projectCard)));
    } catch (e) {
      replace(list, h("p", { class: "form-error", role: "alert" }, `Could not load your projects: ${e.message}`));
    }
  }

  function projectCard(p) {
    const remove = async () => {
      if (!confirm(`Delete the project “${p.name}” and its meshes?`)) return;
      try {
        await api("DELETE", endpoints.project(p.id));
        toast("Project deleted.", "ok");
        load();
      } catch (e) { toast(e.message, "error"); }
    };
    return h("li", { class: "card project-card" },
      h("a", { href: `/projects/${p.id}`, class: "project-link" },
        h("span", { class: "project-name" }, p.name),
        h("span", { class: "project-meta" }, badge(p.status), " ", h("time", { datetime: p.created_at }, formatDate(p.created_at)))),
      p.error ? h("p", { class: "project-error" }, p.error) : null,
      h("button", { type: "button", class: "btn btn-ghost btn-small", onclick: remove,
        "aria-label": `Delete project ${p.name}` }, "Delete"));
  }

  await load();
  return () => {
    main.removeEventListener("dragover", over);
    main.removeEventListener("dragleave", leave);
    main.removeEventListener("drop", drop);
  };
}
