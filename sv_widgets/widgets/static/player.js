// Player front end (anywidget ESM). Self-contained: no imports, no CDN.
// Plays `src` in a <video>. A URL on a loopback host (the local emulator) is unreachable
// from a browser on another machine (Binder, JupyterHub), so it is routed through the
// Jupyter server with jupyter-server-proxy: {baseUrl}proxy/{host:}port/path.

const LOOPBACK = /^(localhost|.*\.localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/i;

function isLoopback(hostname) {
  return LOOPBACK.test(hostname);
}

function jupyterBaseUrl() {
  const el = document.getElementById("jupyter-config-data");
  if (el) {
    try {
      const base = JSON.parse(el.textContent || "{}").baseUrl;
      if (base) return new URL(base, window.location.origin).href;
    } catch (_e) {
      // fall through to the path heuristics
    }
  }
  const path = new URL(document.baseURI).pathname;
  const m = path.match(/^(.*?\/)(lab|notebooks|tree|doc|edit|voila|retro)(\/|$)/);
  return new URL(m ? m[1] : "/", window.location.origin).href;
}

export function proxiedUrl(src) {
  const u = new URL(src);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  const host = u.hostname.replace(/^\[|\]$/g, "");
  // jupyter-server-proxy: "proxy/PORT" goes to localhost; "proxy/127.0.0.1:PORT" names the
  // address the emulator listens on (in the proxy's default host allowlist).
  const target = /^127\./.test(host) ? `${host}:${port}` : port;
  return `${jupyterBaseUrl()}proxy/${target}${u.pathname}${u.search}${u.hash}`;
}

export function playableUrl(src, mode) {
  if (!src) return { url: "", proxied: false };
  let u;
  try {
    u = new URL(src);
  } catch (_e) {
    return { url: src, proxied: false };
  }
  if (mode === "never" || !isLoopback(u.hostname)) return { url: src, proxied: false };
  const pageIsLocal = isLoopback(window.location.hostname);
  const mixed = window.location.protocol === "https:" && u.protocol === "http:";
  if (mode === "always" || !pageIsLocal || mixed) return { url: proxiedUrl(src), proxied: true };
  return { url: src, proxied: false };
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "sv-player";
  const video = document.createElement("video");
  video.controls = true;
  video.preload = "metadata";
  video.playsInline = true;
  const bar = document.createElement("div");
  bar.className = "sv-player-bar";
  const label = document.createElement("label");
  label.textContent = "Rendition ";
  const selector = document.createElement("select");
  selector.className = "sv-player-rendition";
  selector.setAttribute("aria-label", "Rendition");
  label.appendChild(selector);
  const note = document.createElement("span");
  note.className = "sv-player-note";
  note.setAttribute("role", "status");
  bar.append(label, note);
  root.append(video, bar);
  el.appendChild(root);

  let posterUrl = null;
  let triedProxy = false;
  let current = { url: "", proxied: false };

  selector.addEventListener("change", () => {
    model.set("rendition", selector.value);
    model.save_changes();
  });

  video.addEventListener("loadedmetadata", () => {
    root.dataset.state = "ready";
    note.textContent = current.proxied ? "via the Jupyter server" : "";
  });
  video.addEventListener("error", () => {
    if (!current.proxied && !triedProxy && model.get("proxy") === "auto") {
      let loopback = false;
      try { loopback = isLoopback(new URL(model.get("src")).hostname); } catch (_e) { /* not a URL */ }
      if (loopback) {
        triedProxy = true; // the direct URL failed: try through the Jupyter server once
        load(proxiedUrl(model.get("src")), true);
        return;
      }
    }
    const err = video.error;
    const message = err ? `media error ${err.code}${err.message ? ": " + err.message : ""}` : "unknown";
    root.dataset.state = "error";
    note.textContent = `Could not load the video (${message}).`;
    model.send({ type: "media-error", message });
  });

  function load(url, proxied) {
    const wasPlaying = !video.paused;
    const at = video.currentTime || 0;
    current = { url, proxied };
    root.dataset.state = "loading";
    video.src = url;
    video.dataset.proxied = proxied ? "true" : "false";
    if (at > 0) {
      video.addEventListener("loadedmetadata", () => {
        video.currentTime = Math.min(at, video.duration || at);
        if (wasPlaying) video.play().catch(() => {});
      }, { once: true });
    }
  }

  function drawSource() {
    triedProxy = false;
    const next = playableUrl(model.get("src"), model.get("proxy"));
    if (!next.url) {
      video.removeAttribute("src");
      return;
    }
    if (next.url !== current.url) load(next.url, next.proxied);
  }

  function drawSelector() {
    const items = model.get("renditions") || [];
    selector.replaceChildren(...items.map((r) => {
      const o = document.createElement("option");
      o.value = r.label;
      o.textContent = /^\d+$/.test(r.label) ? `${r.label}p` : r.label;
      return o;
    }));
    selector.value = model.get("rendition");
    selector.disabled = items.length < 2;
  }

  function drawPoster() {
    const buf = model.get("poster");
    if (posterUrl) URL.revokeObjectURL(posterUrl);
    posterUrl = null;
    if (buf && buf.byteLength) {
      const bytes = new Uint8Array(buf.buffer || buf, buf.byteOffset || 0, buf.byteLength);
      posterUrl = URL.createObjectURL(new Blob([bytes], { type: "image/jpeg" }));
      video.poster = posterUrl;
    }
  }

  function drawStatus() {
    const status = model.get("status");
    root.dataset.status = status;
    if (status === "error") note.textContent = model.get("error");
    else if (status === "loading") note.textContent = "Loading…";
    else if (!video.error) note.textContent = current.proxied ? "via the Jupyter server" : "";
  }

  const events = {
    "change:src": drawSource,
    "change:proxy": drawSource,
    "change:renditions": drawSelector,
    "change:rendition": drawSelector,
    "change:poster": drawPoster,
    "change:status": drawStatus,
    "change:error": drawStatus,
  };
  for (const [name, fn] of Object.entries(events)) model.on(name, fn);
  drawSelector();
  drawPoster();
  drawSource();
  drawStatus();

  return () => {
    for (const [name, fn] of Object.entries(events)) model.off(name, fn);
    video.removeAttribute("src");
    video.load();
    if (posterUrl) URL.revokeObjectURL(posterUrl);
  };
}

export default { render };
