// Projector pages: every few seconds, swap in the fragment the server renders (and escapes) for each
// element with data-fragment; a failed fetch keeps the last picture on screen.
(() => {
  for (const box of document.querySelectorAll("[data-fragment]")) {
    const url = box.dataset.fragment;
    const updated = document.getElementById(box.dataset.updated);
    async function refresh() {
      try {
        const res = await fetch(url, { cache: "no-store", credentials: "same-origin" });
        if (res.ok) {
          const html = await res.text();
          if (html !== box.dataset.last) { box.innerHTML = html; box.dataset.last = html; }
          if (updated) updated.textContent = new Date().toLocaleTimeString();
        }
      } catch (e) { /* offline for a moment: keep the last picture */ }
    }
    setInterval(refresh, Number(box.dataset.refresh) || 5000);
  }
})();
