/* Keeps the teacher's list of questions fresh: every 5 s it asks /teacher/questions.json and
   rebuilds the list with textContent (what learners typed is never parsed as HTML). Without
   JavaScript the page has a "Refresh now" link instead. */
(function () {
  "use strict";
  var list = document.querySelector(".live-questions");
  if (!list || !window.fetch) { return; }
  var empty = document.querySelector(".live-empty");

  function item(q) {
    var li = document.createElement("li");
    var meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = q.at + " · " + q.nickname + " · " + q.mode + (q.grounded ? "" : " · not in the library");
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
