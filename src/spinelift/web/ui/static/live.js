// A project's live progress: the WebSocket (a snapshot on connect, then events), falling
// back to polling the snapshot while the socket is down, and reconnecting with backoff.
// Pub/sub is fire and forget, so the snapshot is read again shortly after each connect.
import { api, endpoints } from "./api.js";

const POLL_MS = 1500;
const RESYNC_MS = 1500;

export class LiveFeed {
  /** handlers: onSnapshot(snapshot), onEvent(event), onMode("connecting"|"live"|"polling"|"stopped"), onGone(code) */
  constructor(projectId, handlers) {
    this.id = projectId;
    this.h = handlers;
    this.ws = null;
    this.stopped = false;
    this.pollTimer = null;
    this.retryTimer = null;
    this.retries = 0;
    this.mode = null;
  }

  start() {
    if (typeof WebSocket === "undefined") { this.poll(); return; }
    this.connect();
  }

  setMode(mode) {
    if (mode === this.mode) return;
    this.mode = mode;
    this.h.onMode?.(mode);
  }

  connect() {
    if (this.stopped) return;
    this.setMode(this.mode === "polling" ? "polling" : "connecting");
    let ws;
    try {
      ws = new WebSocket(endpoints.events(this.id));
    } catch {
      this.poll();
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.retries = 0;
      this.stopPolling();
      this.setMode("live");
      setTimeout(() => this.resync(), RESYNC_MS);
    });
    ws.addEventListener("message", (message) => {
      let data;
      try { data = JSON.parse(message.data); } catch { return; }
      if (data.type === "snapshot") this.h.onSnapshot(data);
      else this.h.onEvent(data);
    });
    ws.addEventListener("close", (e) => {
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      if (e.code === 4401 || e.code === 4404) { this.setMode("stopped"); this.h.onGone?.(e.code); return; }
      this.poll();
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    if (this.stopped || this.retryTimer) return;
    const delay = Math.min(15000, 1000 * 2 ** this.retries++);
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.connect(); }, delay);
  }

  /** Read the snapshot once (after connecting, or when the view suspects a gap). */
  async resync() {
    if (this.stopped) return;
    try {
      this.h.onSnapshot(await api("GET", endpoints.snapshot(this.id)));
    } catch (e) {
      if (e.status === 404) this.h.onGone?.(4404);
    }
  }

  poll() {
    if (this.stopped || this.pollTimer) return;
    this.setMode("polling");
    const tick = async () => {
      await this.resync();
      if (!this.stopped && this.pollTimer !== null) this.pollTimer = setTimeout(tick, POLL_MS);
    };
    this.pollTimer = setTimeout(tick, 0);
  }

  stopPolling() {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  stop() {
    this.stopped = true;
    this.stopPolling();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
    this.setMode("stopped");
  }
}
