/* The error summary of a form (macros/forms.html, error_summary).
 *
 * The page works without this script: the summary has `autofocus`, and its links are
 * ordinary links to the inputs. The script
 * - moves the focus to the summary where the browser did not honour `autofocus`;
 * - makes a link focus its input and scroll the input's label (or, for a group of
 *   options, its legend) into view, opening a closed <details> around it, so the
 *   question is seen with the input and not cut off at the top of the screen.
 * It is the behaviour of GOV.UK Frontend's error summary, written out for our markup:
 * that module is bound to its own classes and initialisation.
 */
(function () {
  "use strict";

  function labelFor(input) {
    var fieldset = input.closest("fieldset");
    var group = input.type === "radio" || input.type === "checkbox";
    if (group && fieldset) {
      var legend = fieldset.querySelector("legend");
      if (legend) { return legend; }
    }
    if (input.id) {
      var label = document.querySelector("label[for='" + CSS.escape(input.id) + "']");
      if (label) { return label; }
    }
    return input;
  }

  function focusField(id) {
    var input = document.getElementById(id);
    if (!input) { return false; }
    for (var d = input.closest("details"); d; d = d.parentElement.closest("details")) {
      d.open = true;
    }
    labelFor(input).scrollIntoView({ block: "start" });
    input.focus({ preventScroll: true });
    return document.activeElement === input;
  }

  function start() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    if (document.activeElement !== summary && !window.location.hash) {
      summary.focus();
    }
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      if (focusField(link.getAttribute("href").slice(1))) {
        event.preventDefault();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
