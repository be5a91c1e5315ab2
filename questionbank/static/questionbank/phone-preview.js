// The reveal grows to its full height, so the whole explanation shows without scrolling the frame.
addEventListener("load", () => {
  for (const frame of document.querySelectorAll(".phone-frame-grow iframe")) {
    const body = frame.contentDocument && frame.contentDocument.body;
    if (body) frame.style.height = Math.max(844, body.scrollHeight) + "px";
  }
});
