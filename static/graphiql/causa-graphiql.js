/*
 * Causa's GraphiQL page: a sign-in bar and a fetcher that sends the signed-in
 * user's access token. Loaded by /static/graphiql/index.html after the vendored
 * React, ReactDOM and GraphiQL UMD builds (window.React, window.ReactDOM,
 * window.GraphiQL). Same-origin requests only:
 *   POST /auth/token  (form-encoded OAuth2 password / refresh_token grants)
 *   POST /graphql     (JSON, Authorization: Bearer <access token>)
 * Tokens live in sessionStorage only (gone when the tab closes); GraphiQL's own
 * localStorage keeps queries and tabs, never the token.
 */
(function () {
  "use strict";

  var TOKEN_URL = "/auth/token";
  var GRAPHQL_URL = "/graphql";
  var DEFAULT_QUERY = "{ viewer { email role } }";
  var WHOAMI_QUERY = "query CausaWhoAmI { viewer { email role } }";
  var KEYS = {
    access: "causa.accessToken",
    refresh: "causa.refreshToken",
    expiresAt: "causa.expiresAt",
    identity: "causa.identity",
  };

  // ---------------------------------------------------------------- storage
  var store = {
    get: function (key) {
      try {
        return window.sessionStorage.getItem(key);
      } catch (e) {
        return null;
      }
    },
    set: function (key, value) {
      try {
        if (value === null || value === undefined) {
          window.sessionStorage.removeItem(key);
        } else {
          window.sessionStorage.setItem(key, String(value));
        }
      } catch (e) {
        /* storage disabled: the session lasts as long as the page */
      }
    },
  };

  function saveTokens(body) {
    store.set(KEYS.access, body.access_token);
    // The refresh token rotates: keep the new one. A response without one keeps the old (RFC 6749 §6).
    if (body.refresh_token) store.set(KEYS.refresh, body.refresh_token);
    var seconds = Number(body.expires_in);
    store.set(KEYS.expiresAt, isFinite(seconds) && seconds > 0 ? Date.now() + seconds * 1000 : null);
  }

  function clearSession() {
    store.set(KEYS.access, null);
    store.set(KEYS.refresh, null);
    store.set(KEYS.expiresAt, null);
    store.set(KEYS.identity, null);
  }

  function getIdentity() {
    try {
      return JSON.parse(store.get(KEYS.identity) || "null");
    } catch (e) {
      return null;
    }
  }

  function setIdentity(identity) {
    store.set(KEYS.identity, identity ? JSON.stringify(identity) : null);
  }

  // --------------------------------------------------------------------- UI
  var el = {
    signinForm: document.getElementById("causa-signin-form"),
    tokenForm: document.getElementById("causa-token-form"),
    email: document.getElementById("causa-email"),
    password: document.getElementById("causa-password"),
    office: document.getElementById("causa-office"),
    signin: document.getElementById("causa-signin"),
    token: document.getElementById("causa-token"),
    useToken: document.getElementById("causa-use-token"),
    signout: document.getElementById("causa-signout"),
    status: document.getElementById("causa-status"),
    graphiql: document.getElementById("graphiql"),
  };

  // state: "signed-in" | "signed-out" | "busy" | "error"
  function setStatus(state, text) {
    el.status.setAttribute("data-state", state);
    el.status.textContent = text;
    el.status.title = text;
    el.signout.disabled = !store.get(KEYS.access);
  }

  function describeIdentity(identity) {
    if (!identity) return "Signed in with a pasted access token";
    var text = "Signed in as " + (identity.email || "(unknown user)");
    if (identity.role) text += " (" + identity.role + ")";
    if (identity.office) text += " · office " + identity.office;
    if (identity.pasted) text += " · pasted token";
    return text;
  }

  function showSignedIn() {
    setStatus("signed-in", describeIdentity(getIdentity()));
  }

  function setBusy(busy) {
    el.signin.disabled = busy;
    el.useToken.disabled = busy;
  }

  // ------------------------------------------------------------------- auth
  // Bumped on every sign-in / sign-out / pasted token, so that a late answer
  // (e.g. a refresh started before the user signed out) is thrown away.
  var generation = 0;
  var refreshing = null;

  function errorMessage(status, body, statusText) {
    if (body && typeof body === "object") {
      if (body.error_description) return String(body.error_description);
      if (body.error) return String(body.error);
    }
    return "HTTP " + status + (statusText ? " " + statusText : "");
  }

  async function readJson(response) {
    var text = await response.text();
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch (e) {
      return { __raw: text };
    }
  }

  /** POST /auth/token; resolves with the token JSON or rejects with an Error carrying .status. */
  async function requestToken(params) {
    var response;
    try {
      response = await fetch(TOKEN_URL, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/json",
        },
        body: new URLSearchParams(params).toString(),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (networkError) {
      var err = new Error("Cannot reach " + TOKEN_URL + ": " + networkError.message);
      err.status = 0;
      throw err;
    }
    var body = await readJson(response);
    if (response.ok && body && typeof body.access_token === "string" && body.access_token) {
      return body;
    }
    var message = errorMessage(response.status, body, response.statusText);
    if (response.status === 429) {
      var retryAfter = response.headers.get("Retry-After");
      if (retryAfter) message += " (retry after " + retryAfter + " s)";
    }
    var failure = new Error(message);
    failure.status = response.status;
    throw failure;
  }

  /**
   * Trade the refresh token for a new access token, at most one exchange at a
   * time (the refresh token rotates, so two parallel exchanges would burn it).
   * Resolves with the access token to retry with, or null when signed out.
   */
  function refreshAccess(staleAccess) {
    var current = store.get(KEYS.access);
    if (current && current !== staleAccess) return Promise.resolve(current); // already refreshed
    if (refreshing) return refreshing;
    var refreshToken = store.get(KEYS.refresh);
    if (!refreshToken) return Promise.resolve(null);
    var started = generation;
    refreshing = requestToken({ grant_type: "refresh_token", refresh_token: refreshToken })
      .then(function (body) {
        if (started !== generation) return store.get(KEYS.access);
        saveTokens(body);
        return body.access_token;
      })
      .catch(function (error) {
        if (started !== generation) return store.get(KEYS.access);
        if (error.status === 0 || error.status === 429 || error.status >= 500) {
          // Transient: keep the session, tell the user, let them retry.
          setStatus("error", "Could not refresh the session: " + error.message);
          return null;
        }
        signOut("Signed out: " + error.message);
        return null;
      })
      .finally(function () {
        refreshing = null;
      });
    return refreshing;
  }

  function signOut(reason) {
    generation += 1;
    clearSession();
    setStatus("signed-out", reason || "Signed out");
    renderGraphiQL();
  }

  async function signIn(event) {
    event.preventDefault();
    var email = el.email.value.trim();
    var password = el.password.value;
    var office = el.office.value.trim();
    if (!email || !password) {
      setStatus("error", "Enter e-mail and password");
      return;
    }
    var params = { grant_type: "password", username: email, password: password };
    if (office) params.office = office;
    generation += 1;
    var mine = generation;
    clearSession();
    setBusy(true);
    setStatus("busy", "Signing in as " + email + "…");
    try {
      var body = await requestToken(params);
      if (mine !== generation) return;
      saveTokens(body);
      setIdentity({ email: email, office: office || null });
      el.password.value = "";
      showSignedIn();
      renderGraphiQL();
      whoAmI(mine, false);
    } catch (error) {
      if (mine !== generation) return;
      clearSession();
      setStatus("error", "Sign-in failed: " + error.message);
    } finally {
      setBusy(false);
    }
  }

  function useToken(event) {
    event.preventDefault();
    var token = el.token.value.trim().replace(/^Bearer\s+/i, "");
    if (!token) {
      setStatus("error", "Paste an access token first");
      return;
    }
    generation += 1;
    var mine = generation;
    clearSession();
    store.set(KEYS.access, token); // no refresh token: on expiry the user signs in again
    setIdentity({ pasted: true });
    el.token.value = "";
    setStatus("busy", "Checking the pasted token…");
    renderGraphiQL();
    whoAmI(mine, true);
  }

  /** Ask the API who the token belongs to, to show the e-mail and role. */
  async function whoAmI(mine, pasted) {
    var result;
    try {
      result = await graphqlRequest({ query: WHOAMI_QUERY, operationName: "CausaWhoAmI" }, {});
    } catch (error) {
      result = { errors: [{ message: error.message }] };
    }
    if (mine !== generation || !store.get(KEYS.access)) return; // superseded or signed out
    var viewer = result && result.data && result.data.viewer;
    if (viewer && viewer.email) {
      var identity = getIdentity() || {};
      identity.email = viewer.email;
      identity.role = viewer.role || null;
      if (pasted) identity.pasted = true;
      setIdentity(identity);
      showSignedIn();
    } else if (pasted) {
      var why = result && result.errors && result.errors[0] && result.errors[0].message;
      setStatus("signed-in", "Token set (could not confirm the user" + (why ? ": " + why : "") + ")");
    }
    // For a password sign-in the status already names the user; keep it.
  }

  // ---------------------------------------------------------------- fetcher
  /**
   * POST a GraphQL request with the current access token; on HTTP 401 refresh
   * once and retry. Resolves with the response JSON (GraphQL errors included).
   */
  async function graphqlRequest(params, extraHeaders) {
    async function send(access) {
      var headers = Object.assign(
        { "Content-Type": "application/json", Accept: "application/json" },
        extraHeaders || {},
      );
      if (access) headers.Authorization = "Bearer " + access;
      return fetch(GRAPHQL_URL, {
        method: "POST",
        headers: headers,
        body: JSON.stringify(params),
        credentials: "same-origin",
        cache: "no-store",
      });
    }

    var access = store.get(KEYS.access);
    var response = await send(access);
    if (response.status === 401 && access) {
      var couldRefresh = !!store.get(KEYS.refresh);
      var fresh = await refreshAccess(access);
      if (fresh) {
        response = await send(fresh); // retried once, never more
        if (response.status === 401 && store.get(KEYS.access) === fresh) {
          signOut("Signed out: the access token was rejected (HTTP 401), sign in again");
        }
      } else if (!couldRefresh && store.get(KEYS.access) === access) {
        signOut("Signed out: the access token was rejected (HTTP 401), sign in again");
      }
      // A failed refresh signs out by itself, or keeps the session on a transient error.
    }
    var body = await readJson(response);
    if (response.status === 401) {
      var reason =
        body && Array.isArray(body.errors) && body.errors[0] && body.errors[0].message
          ? String(body.errors[0].message)
          : errorMessage(401, body, "Unauthorized");
      return {
        errors: [
          {
            message:
              "Not signed in (HTTP 401: " + reason + "). Sign in above or paste an access token.",
          },
        ],
      };
    }
    if (body && !body.__raw) return body;
    return {
      errors: [
        {
          message:
            "HTTP " +
            response.status +
            " from " +
            GRAPHQL_URL +
            (body && body.__raw ? ": " + body.__raw.slice(0, 500) : " (empty body)"),
        },
      ],
    };
  }

  // A new function per render, so that GraphiQL re-fetches the schema
  // whenever the signed-in user changes.
  function makeFetcher() {
    return function causaFetcher(graphQLParams, opts) {
      return graphqlRequest(graphQLParams, (opts && opts.headers) || {});
    };
  }

  var root = null;

  function renderGraphiQL() {
    if (!window.React || !window.ReactDOM || !window.GraphiQL) {
      el.graphiql.textContent =
        "GraphiQL could not be loaded from /static/graphiql/ (see the browser console).";
      return;
    }
    if (!root) root = window.ReactDOM.createRoot(el.graphiql);
    root.render(
      window.React.createElement(window.GraphiQL, {
        // A new key for each session: GraphiQL starts afresh, and no answer of the last
        // one (a 401 before signing in, say) stays in the result pane. The query stays.
        key: "session-" + generation,
        fetcher: makeFetcher(),
        defaultQuery: DEFAULT_QUERY,
        shouldPersistHeaders: false,
      }),
    );
  }

  // ------------------------------------------------------------------- boot
  var uploads = document.querySelector("#causa-uploads code");
  if (uploads) uploads.textContent = uploads.textContent.replace("ORIGIN", location.origin);
  el.signinForm.addEventListener("submit", signIn);
  el.tokenForm.addEventListener("submit", useToken);
  el.signout.addEventListener("click", function () {
    signOut("Signed out");
  });

  if (store.get(KEYS.access)) {
    showSignedIn();
  } else {
    clearSession();
    setStatus("signed-out", "Not signed in");
  }
  renderGraphiQL();
})();
