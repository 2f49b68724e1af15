/* Presentation mode, progressive enhancement. Without this script every slide works through
 * its links (a[rel=prev], a[rel=next], a[data-first], a[data-last]); with it:
 *
 * - ArrowLeft / PageUp go to the previous slide, ArrowRight / PageDown to the next one, Home to
 *   the first and End to the last. PageUp/PageDown/Home/End first scroll a slide that does not
 *   fit the screen (they only change slide at its top or bottom), so keyboard users and
 *   presenter remotes can still read a long slide. Keys are left alone in form fields and
 *   with Alt, Ctrl, Meta or Shift (Alt+ArrowLeft stays "back").
 * - A "Full screen" button, only when the Fullscreen API is there. Its name comes from
 *   data-fullscreen-label on .wp-presentation (default "Volledig scherm"). Loading another
 *   page always leaves full screen, so while in full screen the slide links swap the slide in
 *   place (fetch + history.pushState) instead of loading a new page; any failure falls back
 *   to an ordinary page load.
 *
 * Loaded with <script src="…/presentation.js" defer>; no inline script, no framework.
 */
(function () {
  "use strict";

  var root = document.querySelector(".wp-presentation");
  if (!root) {
    return;
  }

  var SLIDE_LINKS = 'a[rel~="prev"], a[rel~="next"], a[data-first], a[data-last]';
  var KEYS = {
    ArrowLeft: 'a[rel~="prev"]',
    PageUp: 'a[rel~="prev"]',
    ArrowRight: 'a[rel~="next"]',
    PageDown: 'a[rel~="next"]',
    Home: "a[data-first]",
    End: "a[data-last]"
  };
  var SCROLLS_UP = { PageUp: true, Home: true };
  var SCROLLS_DOWN = { PageDown: true, End: true };
  var FORM_FIELDS = "input, textarea, select, [contenteditable]:not([contenteditable='false'])," +
    " [role='textbox'], [role='combobox'], [role='listbox'], [role='spinbutton'], [role='slider']";

  var html = document.documentElement;
  var canFullscreen = typeof html.requestFullscreen === "function" &&
    typeof document.exitFullscreen === "function" && document.fullscreenEnabled !== false;
  var canSwap = typeof window.fetch === "function" && typeof window.DOMParser === "function" &&
    window.history && typeof window.history.pushState === "function";
  var button = null;
  var status = null;
  var busy = false;
  var swapped = false;

  function inFormField(element) {
    return Boolean(element && element.closest && element.closest(FORM_FIELDS));
  }

  function canScroll(up) {
    var page = document.scrollingElement || html;
    if (up) {
      return page.scrollTop > 0;
    }
    return page.scrollTop + window.innerHeight < page.scrollHeight - 1;
  }

  function isFullscreen() {
    return Boolean(document.fullscreenElement);
  }

  /* Follow a slide link: an ordinary page load, or an in-place swap while in full screen. */
  function follow(link) {
    if (isFullscreen() && canSwap) {
      swap(link.href, true, link);
    } else {
      window.location.assign(link.href);
    }
  }

  function swap(url, push, link) {
    if (busy) {
      return;
    }
    busy = true;
    var focusSelector = null;
    if (link && document.activeElement === link) {  /* keep focus on "Next" for the next press */
      focusSelector = link.matches('a[rel~="prev"]') ? 'a[rel~="prev"]'
        : link.matches('a[rel~="next"]') ? 'a[rel~="next"]'
        : link.matches("a[data-first]") ? "a[data-first]" : "a[data-last]";
    }
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text().then(function (text) {
          return { text: text, url: response.url || url };
        });
      })
      .then(function (result) {
        var page = new DOMParser().parseFromString(result.text, "text/html");
        var slide = page.querySelector(".wp-presentation");
        if (!slide) {
          throw new Error("no slide");
        }
        while (root.firstChild) {
          root.removeChild(root.firstChild);
        }
        Array.prototype.slice.call(slide.childNodes).forEach(function (node) {
          root.appendChild(document.adoptNode(node));
        });
        if (page.title) {
          document.title = page.title;
        }
        if (push) {
          window.history.pushState({ wpSlide: true }, "", result.url);
        }
        swapped = true;
        busy = false;
        placeButton();
        announceAndFocus(focusSelector);
      })
      .catch(function () {
        busy = false;
        if (push) {
          window.location.assign(url);
        } else {
          window.location.replace(url);
        }
      });
  }

  /* After a swap: say which slide this is, and keep focus where the user was (or on the
   * heading), so it never silently drops to the top of the page. */
  function announceAndFocus(focusSelector) {
    var heading = root.querySelector("h1");
    var link = focusSelector ? root.querySelector(focusSelector) : null;
    if (link) {
      link.focus();
      if (status) {
        status.textContent = heading ? heading.textContent.trim() : document.title;
      }
    } else if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }

  function placeButton() {
    if (!button) {
      return;
    }
    var nav = root.querySelector(".wp-slide-nav") || root.querySelector("nav");
    (nav || root).appendChild(button);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey ||
        event.shiftKey || event.isComposing) {
      return;
    }
    var selector = KEYS[event.key];
    if (!selector || inFormField(event.target) || inFormField(document.activeElement)) {
      return;
    }
    if ((SCROLLS_UP[event.key] && canScroll(true)) ||
        (SCROLLS_DOWN[event.key] && canScroll(false))) {
      return;
    }
    var link = root.querySelector(selector);
    if (!link || !link.href) {
      return;
    }
    event.preventDefault();
    follow(link);
  });

  /* Clicks on the slide links: only taken over while in full screen. */
  root.addEventListener("click", function (event) {
    if (!isFullscreen() || !canSwap || event.defaultPrevented || event.button !== 0 ||
        event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    var link = event.target.closest ? event.target.closest(SLIDE_LINKS) : null;
    if (!link || !root.contains(link)) {
      return;
    }
    event.preventDefault();
    swap(link.href, true, link);
  });

  window.addEventListener("popstate", function () {
    if (swapped) {
      swap(window.location.href, false, null);
    }
  });

  if (canFullscreen) {
    button = document.createElement("button");
    button.type = "button";
    button.className = "utrecht-button utrecht-button--secondary-action wp-fullscreen-button";
    button.textContent = (root.getAttribute("data-fullscreen-label") || "").trim() ||
      "Volledig scherm";
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function () {
      var request = isFullscreen() ? document.exitFullscreen() : html.requestFullscreen();
      if (request && typeof request.catch === "function") {
        request.catch(function () { /* refused (e.g. by a policy): the page just stays */ });
      }
    });
    document.addEventListener("fullscreenchange", function () {
      button.setAttribute("aria-pressed", isFullscreen() ? "true" : "false");
    });
    placeButton();
    /* A live region must exist before it changes to be read out: made now, filled on swaps. */
    status = document.createElement("p");
    status.className = "wp-visually-hidden";
    status.setAttribute("role", "status");
    root.parentNode.insertBefore(status, root.nextSibling);
  }
})();
