// ThumbnailGallery front end (anywidget ESM). Self-contained: no imports, no network.
// Images arrive as binary buffers in the `images` trait (file name -> DataView) and are
// shown through object URLs; a click sends {type: "select", name} to Python, which saves
// the choice and updates `value`, `status` and `message`.

function blobUrl(cache, name, buffer) {
  let url = cache.get(name);
  if (url === undefined && buffer) {
    const bytes = buffer instanceof DataView || ArrayBuffer.isView(buffer)
      ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
      : new Uint8Array(buffer);
    url = URL.createObjectURL(new Blob([bytes], { type: "image/jpeg" }));
    cache.set(name, url); // a thumbnail's bytes never change for a given file name
  }
  return url;
}

function render({ model, el }) {
  const urls = new Map();
  const root = document.createElement("div");
  root.className = "sv-gallery";
  const toolbar = document.createElement("div");
  toolbar.className = "sv-gallery-toolbar";
  const label = document.createElement("label");
  label.textContent = "Height ";
  const selector = document.createElement("select");
  selector.className = "sv-gallery-height";
  selector.setAttribute("aria-label", "Thumbnail height");
  label.appendChild(selector);
  const status = document.createElement("span");
  status.className = "sv-gallery-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  toolbar.append(label, status);
  const groups = document.createElement("div");
  groups.className = "sv-gallery-groups";
  root.append(toolbar, groups);
  el.appendChild(root);

  selector.addEventListener("change", () => {
    model.set("height", Number(selector.value));
    model.save_changes();
  });

  function heights() {
    const seen = new Map();
    for (const t of model.get("thumbnails") || []) {
      seen.set(t.height, (seen.get(t.height) || 0) + 1);
    }
    return [...seen.entries()].sort((a, b) => b[0] - a[0]);
  }

  function drawSelector() {
    const options = [[0, `All (${(model.get("thumbnails") || []).length})`]];
    for (const [h, n] of heights()) options.push([h, `${h}p (${n})`]);
    selector.replaceChildren(...options.map(([h, text]) => {
      const o = document.createElement("option");
      o.value = String(h);
      o.textContent = text;
      return o;
    }));
    selector.value = String(model.get("height") || 0);
    selector.disabled = options.length < 2;
  }

  function tile(t) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sv-thumb";
    button.dataset.name = t.name;
    button.title = t.name;
    const url = blobUrl(urls, t.name, (model.get("images") || {})[t.name]);
    if (url) {
      const img = document.createElement("img");
      img.src = url;
      img.alt = `Thumbnail ${t.number} at ${t.height}p`;
      img.draggable = false;
      button.appendChild(img);
    } else {
      const ph = document.createElement("div");
      ph.className = "sv-thumb-placeholder";
      ph.textContent = "loading…";
      button.appendChild(ph);
      button.classList.add("sv-loading");
    }
    const caption = document.createElement("span");
    caption.className = "sv-thumb-caption";
    caption.textContent = `${t.height}p · ${String(t.number).padStart(2, "0")}`;
    button.appendChild(caption);
    const selected = t.name === model.get("value");
    button.classList.toggle("sv-selected", selected);
    button.classList.toggle("sv-saving", t.name === model.get("saving"));
    button.setAttribute("aria-pressed", selected ? "true" : "false");
    button.addEventListener("click", () => {
      if (t.name === model.get("value") && model.get("status") !== "error") return;
      button.classList.add("sv-saving");
      model.send({ type: "select", name: t.name });
    });
    return button;
  }

  function drawGrid() {
    const chosen = Number(model.get("height") || 0);
    const thumbs = model.get("thumbnails") || [];
    const sections = [];
    for (const [h] of heights()) {
      if (chosen && h !== chosen) continue;
      const section = document.createElement("section");
      section.className = "sv-gallery-group";
      const heading = document.createElement("h4");
      heading.textContent = `${h}p`;
      const grid = document.createElement("div");
      grid.className = "sv-gallery-grid";
      grid.append(...thumbs.filter((t) => t.height === h).map(tile));
      section.append(heading, grid);
      sections.push(section);
    }
    groups.replaceChildren(...sections);
  }

  function drawStatus() {
    const s = model.get("status");
    status.textContent = model.get("message") || "";
    status.dataset.status = s;
    root.dataset.status = s;
  }

  function drawAll() {
    drawSelector();
    drawGrid();
    drawStatus();
  }

  const onThumbs = () => drawAll();
  const onGrid = () => drawGrid();
  const onHeight = () => { selector.value = String(model.get("height") || 0); drawGrid(); };
  const events = [
    ["change:thumbnails", onThumbs],
    ["change:images", onGrid],
    ["change:value", onGrid],
    ["change:saving", onGrid],
    ["change:height", onHeight],
    ["change:status", drawStatus],
    ["change:message", drawStatus],
  ];
  for (const [name, fn] of events) model.on(name, fn);
  drawAll();

  return () => {
    for (const [name, fn] of events) model.off(name, fn);
    for (const url of urls.values()) URL.revokeObjectURL(url);
    urls.clear();
  };
}

export default { render };
