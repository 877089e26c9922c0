// The Spine preview: the export's setup pose drawn by the official Spine web player
// (@esotericsoftware/spine-player, vendored under /vendor by `make runtimes`), framed on
// the PSD's canvas so it lines up with the composite drawn beside it.
import { api, endpoints } from "./api.js";

const PLAYER_JS = "/vendor/spine-player/spine-player.js";
const PLAYER_CSS = "/vendor/spine-player/spine-player.css";
export const PREVIEW_BACKGROUND = "#1b1f27";

let loading = null;

/** Load the player's script and style once; rejects when they are not installed. */
export function loadPlayer() {
  if (window.spine && window.spine.SpinePlayer) return Promise.resolve(window.spine);
  if (loading) return loading;
  loading = new Promise((resolve, reject) => {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = PLAYER_CSS;
    document.head.append(css);
    const script = document.createElement("script");
    script.src = PLAYER_JS;
    script.addEventListener("load", () => {
      if (window.spine && window.spine.SpinePlayer) resolve(window.spine);
      else reject(new Error("the Spine player script loaded but defines no SpinePlayer"));
    });
    script.addEventListener("error", () => {
      loading = null;
      script.remove();
      reject(new Error("missing"));
    });
    document.head.append(script);
  });
  return loading;
}

/** A Downloader whose text data URIs are decoded as UTF-8 (names may be any language). */
function utf8Downloader(spine) {
  const downloader = new spine.Downloader();
  downloader.dataUriToString = (uri) => {
    const comma = uri.indexOf(",");
    const meta = uri.slice(0, comma);
    const payload = uri.slice(comma + 1);
    if (!meta.endsWith(";base64")) return decodeURIComponent(payload);
    const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8").decode(bytes);
  };
  return downloader;
}

/**
 * Show the project's Spine export in `container`. Resolves with {player, files} once the
 * skeleton is drawn; rejects with a message for the user.
 */
export async function showPreview(container, projectId) {
  let spine;
  try {
    spine = await loadPlayer();
  } catch {
    throw new Error("The Spine web player is not installed on this server: run `make runtimes` " +
      "(tools/ui-vendor/setup.sh) and restart it.");
  }
  const files = await api("GET", endpoints.exportFiles(projectId));
  const v = files.viewport;
  return new Promise((resolve, reject) => {
    // eslint-disable-next-line no-new
    new spine.SpinePlayer(container, {
      skeleton: files.skeleton,
      atlas: files.atlas,
      rawDataURIs: files.files,
      downloader: utf8Downloader(spine),
      premultipliedAlpha: false,
      alpha: false,
      backgroundColor: PREVIEW_BACKGROUND.slice(1) + "ff",
      showControls: false,
      showLoading: false,
      interactive: false,
      preserveDrawingBuffer: true,
      mipmaps: false,
      viewport: {
        x: v.x, y: v.y, width: v.width, height: v.height,
        padLeft: 0, padRight: 0, padTop: 0, padBottom: 0, transitionTime: 0,
      },
      success: (player) => {
        // two frames: the first after success draws the setup pose
        requestAnimationFrame(() => requestAnimationFrame(() => resolve({ player, files })));
      },
      error: (_player, message) => reject(new Error(`The Spine player could not load the export: ${message}`)),
    });
  });
}
