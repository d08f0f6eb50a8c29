/* Keeps the teacher's list of questions fresh: every 5 s it asks /teacher/questions.json and
   rebuilds the list with textContent (what learners typed is never parsed as HTML). Without
   JavaScript the page has a "Refresh now" link instead. */
(function () {
  "use strict";
  var list = document.querySelector(".live-questions");
  if (!list || !window.fetch) { return; }
  var empty = document.querySelector(".live-empty");
  var wordsMeta = document.querySelector("meta[name=ui-text]");   /* words in the teacher's language */
  var words = {};
  try { words = JSON.parse(wordsMeta.getAttribute("content")); } catch (e) { /* English below */ }
  var notInLibrary = words.not_in_library_short || "not in the library";
  var modeNames = words.modes || {};

  function item(q) {
    var li = document.createElement("li");
    var meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = q.at + " · " + q.nickname + " · " + (modeNames[q.mode] || q.mode) + (q.grounded ? "" : " · " + notInLibrary);
    var text = document.createElement("span");
    text.className = "question";
    text.textContent = q.question;
    li.appendChild(meta);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(text);
    return li;
  }

  function refresh() {
    fetch(list.getAttribute("data-source"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (questions) {
        if (!questions) { return; }
        while (list.firstChild) { list.removeChild(list.firstChild); }
        questions.forEach(function (q) { list.appendChild(item(q)); });
        if (empty) { empty.hidden = questions.length > 0; }
      })
      .catch(function () { /* the kit may be restarting: try again on the next tick */ });
  }

  window.setInterval(refresh, 5000);
})();
