// The challenge's countdown: shows the time left on the server's clock (sent with the page), and
// reloads when it runs out so the server ends the challenge. The server alone decides what counts.
const line = document.querySelector("[data-countdown-ms]");
if (line) {
  const deadline = performance.now() + Number(line.dataset.countdownMs);
  const num = line.querySelector(".countdown-num");
  const tick = () => {
    const left = Math.max(0, deadline - performance.now());
    num.textContent = String(Math.ceil(left / 1000));
    line.classList.toggle("urgent", left < 10000);
    if (left <= 0) {
      window.location.reload();
      return;
    }
    window.setTimeout(tick, 250);
  };
  tick();
}
