// The live views (a zone's secondaries, its faults): a poll of one API route every few
// seconds, with a status line saying when the view was last updated and a Pause button.
// Polling rather than a push channel: the API has none, and a 2 s poll of one small GET is
// cheap for the one person watching.

import { get } from "./api.js";
import { errText, h } from "./dom.js";

export const POLL_MS = 2000;

/**
 * Polls `url` and hands each answer to `draw`; an error goes to `listErr`. One poll at a time
 * (a slow answer is not overlapped; a refresh asked meanwhile runs once it is done), none
 * while paused except `refresh()`, which a change made in the view asks for.
 * Returns `{ status, pause }` (the toolbar's two elements), `refresh()` and `every(ms)`, which
 * starts the timer and returns the view's cleanup.
 */
export function poller({ url, listErr, draw }) {
  const status = h("span", { class: "live", id: "live-status", "aria-live": "off" }, "connecting…");
  const pause = h("button", { type: "button", class: "small", "aria-pressed": "false" }, "Pause");
  /** The poll under way, and the one asked for meanwhile (it starts when that one ends). */
  let running = null;
  let queued = null;
  let paused = false;

  async function poll() {
    try {
      const v = await get(url);
      listErr.textContent = "";
      draw(v);
      if (!paused) status.textContent = `Live · updated ${new Date().toLocaleTimeString()}`;
      status.classList.remove("stale");
    } catch (err) {
      listErr.textContent = errText(err);
      status.textContent = "Live · update failed";
      status.classList.add("stale");
    }
  }

  /** A poll that starts now, or right after the one under way: it sees what came before. */
  function refresh() {
    if (queued) return queued;
    const start = () => {
      queued = null;
      running = poll().finally(() => {
        running = null;
      });
      return running;
    };
    if (running === null) return start();
    queued = running.then(start);
    return queued;
  }

  pause.addEventListener("click", () => {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume" : "Pause";
    if (paused) status.textContent = "Paused";
    else refresh();
  });

  return {
    status,
    pause,
    refresh,
    every(ms) {
      const timer = setInterval(() => {
        if (!paused && running === null && queued === null) refresh();
      }, ms);
      return () => clearInterval(timer);
    },
  };
}
