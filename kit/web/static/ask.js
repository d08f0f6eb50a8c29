/* Streams the tutor's answer into the page. Without fetch streaming (old browsers) or with
   JavaScript off, the form posts normally and the answer comes back as a whole page. */
(function () {
  "use strict";
  var form = document.querySelector(".ask-form");
  if (!form || !window.fetch || !window.ReadableStream || !window.TextDecoder) { return; }
  var box = form.parentNode.querySelector(".answer-box");
  var text = box.querySelector(".answer-text");
  var quotes = box.querySelector(".answer-quotes");
  var tutorLabel = box.querySelector(".tutor-label");
  var unsupportedNote = box.querySelector(".unsupported-note");
  var status = box.querySelector(".answer-status");
  var sources = box.querySelector(".sources");
  var stats = box.querySelector(".answer-stats");
  var step = box.querySelector(".answer-step");
  var cancel = box.querySelector(".ask-cancel");
  var controller = null;
  var words = uiText();
  var timer = thinkTimer(form.querySelector(".think-timer"));

  function uiText() {   /* the page's words in the learner's language (kit/web/locale.py) */
    var meta = document.querySelector("meta[name=ui-text]");
    try { return JSON.parse(meta.getAttribute("content")); } catch (e) { return {}; }
  }

  function say(name, values) {   /* words[name] with its %(key)s filled in */
    var text = words[name] || "";
    if (typeof text === "object") {   /* a plural: one form per CLDR category */
      var rules = window.Intl && Intl.PluralRules ? new Intl.PluralRules(document.documentElement.lang) : null;
      text = text[rules ? rules.select(values.num) : "other"] || text.other || "";
    }
    return text.replace(/%\((\w+)\)s/g, function (all, key) {
      return values && values[key] !== undefined ? String(values[key]) : all;
    });
  }

  /* The think-first countdown: the server refuses an early question (403, seconds_left); the
     page counts down the same seconds and keeps Ask disabled until then. */
  function thinkTimer(el) {
    var button = form.querySelector("button[type=submit]");
    var shown = el && el.querySelector(".think-timer-text"), open = el && el.querySelector(".think-timer-open");
    var ends = 0, ticking = null;
    function tick() {
      var left = Math.max(0, Math.ceil((ends - Date.now()) / 1000));
      shown.textContent = say("opens_in", {time: Math.floor(left / 60) + ":" + ("0" + left % 60).slice(-2)});
      shown.hidden = left === 0; open.hidden = left > 0; button.disabled = left > 0;
      if (left === 0 && ticking) { window.clearInterval(ticking); ticking = null; }
    }
    function start(seconds) {
      if (!el) { return; }
      ends = Date.now() + seconds * 1000;
      tick();
      if (seconds > 0 && !ticking) { ticking = window.setInterval(tick, 1000); }
    }
    start(el ? parseInt(el.getAttribute("data-seconds"), 10) || 0 : 0);
    return {start: start, restart: function () { start(el ? 60 * parseInt(el.getAttribute("data-minutes"), 10) : 0); }};
  }

  function csrfToken() {   /* the kit refuses a POST without it (kit/csrf.py) */
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  function field(name) {
    var el = form.querySelector("[name=" + name + "]:checked") || form.querySelector("[name=" + name + "]");
    return el ? el.value : "";
  }

  function link(url, label) {
    var a = document.createElement("a");
    a.href = url; a.textContent = label;
    return a;
  }

  function showSources(hits, grounded) {
    sources.innerHTML = "";
    hits.forEach(function (hit) {
      var li = document.createElement("li");
      li.className = "source-card";
      var label = hit.title + (hit.heading && hit.heading !== hit.title ? " › " + hit.heading : "");
      li.appendChild(link(hit.url, label));
      if (hit.speaker) {
        var meta = document.createElement("span");
        meta.className = "result-meta";
        meta.textContent = " " + hit.speaker + (hit.start ? " · " + hit.start : "");
        li.appendChild(meta);
      }
      var snip = document.createElement("p");
      snip.className = "snippet";
      snip.innerHTML = hit.snippet;   /* escaped by the server; only <mark> is markup */
      li.appendChild(snip);
      sources.appendChild(li);
    });
  }

  function showQuote(quote) {   /* the material's own lines, verbatim, linked to their passage */
    var block = document.createElement("blockquote");
    block.className = "quote";
    var body = document.createElement(quote.code ? "pre" : "p");
    body.textContent = quote.text;
    block.appendChild(body);
    var cite = document.createElement("cite");
    cite.appendChild(link(quote.url, quote.title));
    block.appendChild(cite);
    quotes.appendChild(block);
  }

  function showToken(data) {
    if (quotes.firstChild) { tutorLabel.hidden = false; }
    if (data.unsupported) {   /* code the material does not have: marked, never silently shown */
      var mark = document.createElement("mark");
      mark.className = "unsupported";
      mark.title = say("unsupported");
      mark.textContent = data.text;
      text.appendChild(mark);
      unsupportedNote.hidden = false;
    } else {
      text.appendChild(document.createTextNode(data.text));
    }
  }

  function handle(name, data) {
    if (name === "sources") { showSources(data); }
    else if (name === "quote") { showQuote(data); }
    else if (name === "token") {
      cancel.hidden = true;
      showToken(data);
      status.textContent = say("answering");
    }
    else if (name === "queue") {
      status.textContent = data.ahead > 0 ? say("ahead", {num: data.ahead}) : say("next");
      cancel.hidden = false;
    }
    else if (name === "moved") {   /* a model host stopped mid-answer: its words go, another starts again */
      text.textContent = "";
      unsupportedNote.hidden = true;
      status.textContent = data.message;
    }
    else if (name === "error") {
      cancel.hidden = true;
      status.textContent = data.cancelled ? data.message : say("could_not_answer", {message: data.message});
    }
    else if (name === "done") {
      cancel.hidden = true;
      status.textContent = data.grounded ? "" : say("not_in_library");
      if (data.grounded) {
        stats.textContent = say("stats", {engine: data.engine, model: data.model, tokens: data.tokens,
                                          ttft: data.ttft_ms, speed: data.tokens_per_s});
      }
      if (data.tutorial_step) {
        step.textContent = say("tutorial_step");
        step.appendChild(link(data.tutorial_step.url, data.tutorial_step.title));
      }
    }
  }

  function parse(block) {
    var name = "message", data = "";
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event: ") === 0) { name = line.slice(7); }
      else if (line.indexOf("data: ") === 0) { data += line.slice(6); }
    });
    if (data) { handle(name, JSON.parse(data)); }
  }

  cancel.addEventListener("click", function () {
    cancel.hidden = true;
    fetch(form.getAttribute("data-cancel"), {method: "POST", headers: {"X-CSRF-Token": csrfToken()}});
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    box.hidden = false;
    text.textContent = ""; sources.innerHTML = ""; stats.textContent = ""; step.textContent = "";
    quotes.textContent = ""; tutorLabel.hidden = true; unsupportedNote.hidden = true;
    status.textContent = say("looking");
    var body = {question: field("question"), mode: field("mode"), tried: field("tried"),
                context: {pack: field("pack"), doc: field("doc")}};
    fetch(form.getAttribute("data-api"), {
      method: "POST", headers: {"Content-Type": "application/json", "X-CSRF-Token": csrfToken()},
      body: JSON.stringify(body),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) {
        return response.json().then(function (e) {
          status.textContent = e.error || say("could_not_answer_plain");
          if (e.seconds_left) { timer.start(e.seconds_left); }
        });
      }
      timer.restart();
      var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { return; }
          buffer += decoder.decode(chunk.value, {stream: true});
          var blocks = buffer.split("\n\n");
          buffer = blocks.pop();
          blocks.forEach(parse);
          return pump();
        });
      }
      return pump();
    }).catch(function (error) {
      if (error.name !== "AbortError") { status.textContent = say("connection_lost"); }
    });
  });
})();
