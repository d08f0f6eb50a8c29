/* Keeps the teacher's glance live: an EventSource on /teacher/live receives the glance (and the
   self-test's progress), drawn and escaped by the server, each time the class changes, and swaps
   them in (no reload). The
   server ends each stream after a minute and EventSource reconnects by itself; if the kit
   refuses one (too many live pages, a restart), the page tries again a little later. Without
   JavaScript the page has a "Refresh now" link instead. */
(function () {
  "use strict";
  var glance = document.getElementById("glance");
  if (!glance || !window.EventSource) { return; }
  var state = document.querySelector(".live-state");
  var source = null;

  function connect() {
    source = new EventSource(glance.getAttribute("data-live"));
    source.addEventListener("glance", function (event) {
      var fragments = JSON.parse(event.data), html = fragments.html;
      var readiness = document.getElementById("readiness");
      if (readiness && fragments.readiness !== undefined) { readiness.innerHTML = fragments.readiness; }
      var open = [].map.call(glance.querySelectorAll("details[open]"), function (d) { return d.className; });
      glance.innerHTML = html;
      open.forEach(function (name) {   /* keep what the teacher had opened */
        var details = glance.querySelector("details." + name.split(" ")[0]);
        if (details) { details.open = true; }
      });
      glance.setAttribute("data-updated", String(Date.now()));
      if (state) { state.hidden = false; }
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {   /* refused: not retried by the browser */
        if (state) { state.hidden = true; }
        window.setTimeout(connect, 10000);
      }
    });
  }
  connect();
})();
