/* The outbox: actions taken without a connection (sign up, cancel, check in), kept in
   IndexedDB with their idempotency key until the server has answered. Shared by the page
   (a classic script, before app.js) and the service worker (importScripts), so both replay
   the same way. One replay at a time (Web Locks); each answer is kept in `results` for the
   page to show, and the item is deleted only after the server answered. */
(function (scope) {
  "use strict";
  var DB = "linli", VERSION = 1, LOCK = "linli-outbox";

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "key" });
        if (!db.objectStoreNames.contains("results")) db.createObjectStore("results", { keyPath: "key" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function run(store, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode), req = work(t.objectStore(store));
        t.oncomplete = function () { db.close(); resolve(req ? req.result : undefined); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  function all(store) { return run(store, "readonly", function (s) { return s.getAll(); }); }

  function newKey() {
    if (scope.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }

  function withLock(work) {
    var locks = scope.navigator && navigator.locks;
    return locks ? locks.request(LOCK, work) : work();
  }

  /* Sends one item. Resolves to a result, or rejects when there is no answer (try later). */
  function send(item) {
    return fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      // userErrors in the page's language (the service worker sends the browser's)
      headers: Object.assign({ "Content-Type": "application/json", Accept: "application/json" },
        scope.document ? { "Accept-Language": scope.document.documentElement.lang } : {}),
      body: JSON.stringify({ query: item.query, variables: item.variables, operationName: item.op })
    }).then(function (response) {
      if (response.status >= 500 || response.status === 408 || response.status === 429) {
        throw new Error("server busy: " + response.status);
      }
      return response.json().then(function (body) {
        var result = { key: item.key, op: item.op, label: item.label, path: item.path, at: Date.now() };
        var payload = body && body.data ? body.data[Object.keys(body.data)[0]] : null;
        var errors = (payload && payload.userErrors) || [];
        if (body.errors && body.errors.length) errors = [{ code: "INVALID_INPUT", message: body.errors[0].message }];
        if (!payload && !errors.length) errors = [{ code: "INVALID_INPUT", message: "HTTP " + response.status }];
        if (errors.length) { result.ok = false; result.code = errors[0].code; result.message = errors[0].message; }
        else { result.ok = true; result.signup = payload.signup || null; }
        return result;
      });
    });
  }

  var Outbox = {
    newKey: newKey,
    add: function (item) {
      item.key = item.key || newKey();
      item.at = Date.now();
      return run("outbox", "readwrite", function (s) { return s.put(item); }).then(function () { return item; });
    },
    pending: function () { return all("outbox"); },
    /* Replays every queued item in order; resolves to how many are still waiting. */
    flush: function () {
      return withLock(function () {
        return all("outbox").then(function (items) {
          items.sort(function (a, b) { return a.at - b.at; });
          var chain = Promise.resolve();
          items.forEach(function (item) {
            chain = chain.then(function () {
              return send(item).then(function (result) {
                return run("results", "readwrite", function (s) { return s.put(result); }).then(function () {
                  return run("outbox", "readwrite", function (s) { return s.delete(item.key); });
                });
              });
            });
          });
          return chain;
        });
      }).then(function () { return 0; }, function () {
        return all("outbox").then(function (left) { return left.length; });
      });
    },
    /* The server's answers not shown yet (and forgets them). */
    takeResults: function () {
      return withLock(function () {
        return all("results").then(function (results) {
          return run("results", "readwrite", function (s) { return s.clear(); }).then(function () { return results; });
        });
      });
    },
    clear: function () {
      return run("outbox", "readwrite", function (s) { return s.clear(); });
    }
  };
  scope.LinliOutbox = Outbox;
})(self);
