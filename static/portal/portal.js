// The clients' portal at /portal: sign in, the client's folders, one folder's movements
// and court documents, sign out. It reads only the client view of POST /graphql.
//
// Signing in: the first-party password grant (POST /auth/token, grant_type=password),
// from this page's own form, not the OAuth authorization code flow with PKCE. That flow
// needs an OAuth client registered in each office (a client_id per office), and this one
// page serves the clients of every office. The password grant is the first-party path:
// the page is served by Causa itself, on Causa's origin, so the password never reaches a
// third party. When one e-mail signs in to several offices, the token endpoint says so
// and the form asks for the office's code.
//
// Tokens live in sessionStorage (gone with the tab), never in localStorage. A request
// answered 401 refreshes the pair once and is sent again; a second 401, or a refused
// refresh, returns to sign-in with "Sua sessão terminou. Entre novamente.".
//
// What is new since the last visit: localStorage keeps, per folder (its global id), the
// time of the newest movement the client has seen. Only ids and timestamps: no names,
// titles or descriptions. Data reaches the page only through textContent (never innerHTML).

const SESSION_KEY = "causa.portal.session";
const SEEN_KEY = "causa.portal.seen";
const PAGE = 20;
const MOVEMENTS_PAGE = 30;
const DOCUMENTS_PAGE = 50;
const ENDED = "Sua sessão terminou. Entre novamente.";

const STATUS = {
  ACTIVE: "Em andamento",
  SUSPENDED: "Suspenso",
  CLOSED: "Encerrado",
  ARCHIVED: "Arquivado",
};
const ROLES = {
  PLAINTIFF: "Autor(a)",
  DEFENDANT: "Réu/Ré",
  THIRD_PARTY: "Terceiro(a)",
  ASSISTANT: "Assistente",
  OTHER: "Outra parte",
};
const SIGN_IN_REFUSALS = {
  invalid_grant: "Login ou senha incorretos.",
  too_many_attempts: "Muitas tentativas seguidas. Espere alguns minutos e tente de novo.",
  unsupported_grant_type: "O escritório não permite entrar por esta página. Fale com ele.",
};

const DATE_TIME = new Intl.DateTimeFormat("pt-BR", {
  timeZone: "America/Sao_Paulo",
  dateStyle: "long",
  timeStyle: "short",
});
const DATE = new Intl.DateTimeFormat("pt-BR", { timeZone: "UTC", dateStyle: "long" });

const FOLDERS = `query Folders($first: Int!, $after: String, $search: String, $status: CaseStatus) {
  cases(first: $first, after: $after, search: $search, status: $status) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id folder title cnjNumber status
      movements(first: 1) { edges { node { occurredAt } } }
    } }
  }
}`;
const DOCUMENT_FIELDS = "id title fileName contentType sizeBytes filedOn downloadUrl";
const FOLDER = `query Folder($id: ID!, $first: Int!, $documents: Int!) {
  case(id: $id) {
    id folder title cnjNumber court courtDivision status phase
    responsibleLawyer { name }
    parties { id role isClient person { name } }
    movements(first: $first) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id occurredAt description explanation } }
    }
    documents(first: $documents) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${DOCUMENT_FIELDS} } }
    }
  }
}`;
const MORE_MOVEMENTS = `query Movements($id: ID!, $first: Int!, $after: String) {
  case(id: $id) {
    movements(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id occurredAt description explanation } }
    }
  }
}`;
const MORE_DOCUMENTS = `query Documents($id: ID!, $first: Int!, $after: String) {
  case(id: $id) {
    documents(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${DOCUMENT_FIELDS} } }
    }
  }
}`;

const $ = (id) => document.getElementById(id);

// --- storage -------------------------------------------------------------------------

function session() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY));
  } catch {
    return null;
  }
}

function keep(grant) {
  sessionStorage.setItem(
    SESSION_KEY,
    JSON.stringify({ access: grant.access_token, refresh: grant.refresh_token }),
  );
}

function seenTimes() {
  try {
    return JSON.parse(localStorage.getItem(SEEN_KEY)) || {};
  } catch {
    return {};
  }
}

function seenAt(caseId) {
  const value = seenTimes()[caseId];
  return value ? Date.parse(value) : null;
}

function markSeen(caseId, occurredAt) {
  const times = seenTimes();
  const before = times[caseId] ? Date.parse(times[caseId]) : 0;
  if (Date.parse(occurredAt) > before) {
    times[caseId] = occurredAt;
    localStorage.setItem(SEEN_KEY, JSON.stringify(times));
  }
}

/** New since the last visit: newer than the newest seen, or any, in a folder never opened. */
function isNew(caseId, occurredAt, seen) {
  return seen === null || Date.parse(occurredAt) > seen;
}

// --- talking to Causa ------------------------------------------------------------------

class SessionEnded extends Error {}

async function tokenRequest(fields) {
  const response = await fetch("/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
  return { ok: response.ok, body: await response.json() };
}

async function refresh() {
  const current = session();
  if (!current) return false;
  try {
    const answer = await tokenRequest({ grant_type: "refresh_token", refresh_token: current.refresh });
    if (!answer.ok) return false;
    keep(answer.body);
    return true;
  } catch {
    return false;
  }
}

async function post(query, variables) {
  const current = session();
  if (!current) throw new SessionEnded();
  return fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: "Bearer " + current.access },
    body: JSON.stringify({ query: query, variables: variables }),
  });
}

/** The data of a query; a 401 refreshes once, a second ends the session (SessionEnded). */
async function graphql(query, variables) {
  let response = await post(query, variables);
  if (response.status === 401) {
    if (!(await refresh())) throw new SessionEnded();
    response = await post(query, variables);
    if (response.status === 401) throw new SessionEnded();
  }
  const body = await response.json();
  if (body.errors && body.errors.length) throw new Error(body.errors[0].message);
  return body.data;
}

// --- screens ------------------------------------------------------------------------

function say(text, kind) {
  const status = $("status");
  status.textContent = text || "";
  status.className = kind || "";
}

function show(screen, title, keepFocus) {
  for (const id of ["sign-in-screen", "folders-screen", "folder-screen"]) {
    $(id).hidden = id !== screen;
  }
  $("bar").hidden = screen === "sign-in-screen";
  document.title = "Causa · " + title;
  // a new screen: focus on its heading, where a screen reader starts reading it
  if (!keepFocus) $(screen).querySelector("h1").focus();
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function badge() {
  return element("span", "Novo", "badge");
}

function timeOf(iso) {
  const node = element("time", DATE_TIME.format(new Date(iso)));
  node.dateTime = iso;
  return node;
}

function endSession(message) {
  sessionStorage.removeItem(SESSION_KEY);
  if (location.hash && location.hash !== "#/") history.replaceState(null, "", location.pathname);
  signIn(message);
}

// "Mostrar mais": one page more at the end of a list. A click while a page is loading does
// nothing; the focus moves to the first item shown, and the count is announced.
async function showMore(button, list, load) {
  if (button.getAttribute("aria-disabled") === "true") return;
  button.setAttribute("aria-disabled", "true");
  const before = list.children.length;
  try {
    await load();
  } finally {
    button.removeAttribute("aria-disabled");
  }
  const first = list.children[before];
  if (first) {
    const target = first.querySelector("a") || first;
    if (target === first) first.tabIndex = -1;
    target.focus();
  }
}

function shown(count, total, one, many) {
  return "Mostrando " + count + " de " + total + " " + (total === 1 ? one : many) + ".";
}

function failed(error) {
  if (error instanceof SessionEnded) {
    endSession(ENDED);
  } else {
    say("Não foi possível carregar agora. Confira a conexão e tente de novo.", "error");
  }
}

// sign-in

function signIn(message) {
  show("sign-in-screen", "Entrar no portal");
  say(message || "", message ? "error" : "");
}

async function submitSignIn(event) {
  event.preventDefault();
  const form = $("sign-in");
  const login = form.login.value.trim();
  const password = form.password.value;
  if (!login || !password) {
    say("Informe o login e a senha.", "error");
    (login ? form.password : form.login).focus();
    return;
  }
  const fields = { grant_type: "password", username: login, password: password };
  const office = form.office.value.trim();
  if (!$("office-field").hidden && office) fields.office = office;
  form.enter.disabled = true;
  say("Entrando…");
  try {
    const answer = await tokenRequest(fields);
    if (answer.ok) {
      keep(answer.body);
      form.reset();
      $("office-field").hidden = true;
      say("");
      if (!location.hash) history.replaceState(null, "", "#/");
      route();
      return;
    }
    if (answer.body.error === "invalid_request" && /several offices/.test(answer.body.error_description)) {
      $("office-field").hidden = false;
      say("Este e-mail entra em mais de um escritório: informe o escritório.", "error");
      form.office.focus();
    } else {
      say(SIGN_IN_REFUSALS[answer.body.error] || "Não foi possível entrar.", "error");
    }
  } catch {
    say("Sem conexão com o servidor. Tente de novo em instantes.", "error");
  } finally {
    form.enter.disabled = false;
  }
}

// the folders

const list = { after: null, search: "", status: "" };

async function folders(more, keepFocus) {
  if (!more) {
    list.after = null;
    $("folders").replaceChildren();
    show("folders-screen", "Meus processos", keepFocus);
  }
  say("Carregando…");
  try {
    const data = await graphql(FOLDERS, {
      first: PAGE,
      after: list.after,
      search: list.search || null,
      status: list.status || null,
    });
    const cases = data.cases;
    const target = $("folders");
    for (const edge of cases.edges) target.append(folderCard(edge.node));
    list.after = cases.pageInfo.endCursor;
    $("more-folders").hidden = !cases.pageInfo.hasNextPage;
    $("folders-count").textContent =
      cases.totalCount === 0
        ? "Nenhum processo encontrado."
        : cases.totalCount === 1
          ? "1 processo."
          : cases.totalCount + " processos.";
    say(more ? shown(target.children.length, cases.totalCount, "processo", "processos") : "");
  } catch (error) {
    failed(error);
  }
}

function folderCard(folder) {
  const item = element("li", null, "card");
  const link = element("a");
  link.href = "#/pasta/" + encodeURIComponent(folder.id);
  link.append(element("span", folder.title, "title"));
  const newest = folder.movements.edges[0];
  if (newest && isNew(folder.id, newest.node.occurredAt, seenAt(folder.id))) {
    link.append(badge());
    link.append(element("span", " (andamentos novos)", "visually-hidden"));
  }
  item.append(link);
  const details = element("p", null, "meta");
  details.append(element("span", STATUS[folder.status] || folder.status, "status " + folder.status.toLowerCase()));
  details.append(" · Pasta " + folder.folder);
  if (folder.cnjNumber) details.append(" · " + folder.cnjNumber);
  item.append(details);
  if (newest) {
    const last = element("p", "Último andamento: ", "meta");
    last.append(timeOf(newest.node.occurredAt));
    item.append(last);
  }
  return item;
}

// one folder

const opened = { id: null, after: null, documentsAfter: null, seen: null };

async function folder(id) {
  opened.id = id;
  opened.seen = seenAt(id);
  say("Carregando…");
  try {
    const data = await graphql(FOLDER, { id: id, first: MOVEMENTS_PAGE, documents: DOCUMENTS_PAGE });
    const found = data.case;
    if (!found) {
      show("folders-screen", "Meus processos");
      say("Este processo não está disponível.", "error");
      return;
    }
    $("folder-title").textContent = found.title;
    fields(found);
    parties(found.parties);
    $("timeline").replaceChildren();
    movements(found.movements);
    $("documents").replaceChildren();
    documents(found.documents);
    show("folder-screen", found.title);
    say("");
  } catch (error) {
    failed(error);
  }
}

function fields(found) {
  const rows = [
    ["Pasta", found.folder],
    ["Número do processo", found.cnjNumber],
    ["Tribunal", found.court],
    ["Vara", found.courtDivision],
    ["Situação", STATUS[found.status] || found.status],
    ["Fase", found.phase],
    ["Advogado(a) responsável", found.responsibleLawyer && found.responsibleLawyer.name],
  ];
  const list = $("folder-fields");
  list.replaceChildren();
  for (const [name, value] of rows) {
    const row = element("div");
    row.append(element("dt", name), element("dd", value || "—"));
    list.append(row);
  }
}

function parties(all) {
  const list = $("parties");
  list.replaceChildren();
  for (const party of all) {
    const item = element("li", party.person.name);
    item.append(element("span", " · " + (ROLES[party.role] || party.role), "meta"));
    if (party.isClient) item.append(element("span", " · cliente do escritório", "meta"));
    list.append(item);
  }
  if (!all.length) list.append(element("li", "Nenhuma parte cadastrada.", "meta"));
}

function movements(connection) {
  const timeline = $("timeline");
  for (const edge of connection.edges) {
    const movement = edge.node;
    const item = element("li");
    const when = element("p", null, "when");
    when.append(timeOf(movement.occurredAt));
    if (isNew(opened.id, movement.occurredAt, opened.seen)) when.append(" ", badge());
    item.append(when, element("p", movement.description, "what"));
    if (movement.explanation) {
      const explained = element("p", null, "explanation");
      explained.append(element("strong", "O que isso significa: "), movement.explanation);
      item.append(explained);
    }
    timeline.append(item);
    markSeen(opened.id, movement.occurredAt);
  }
  if (!timeline.children.length) timeline.append(element("li", "Nenhum andamento ainda.", "meta"));
  opened.after = connection.pageInfo.endCursor;
  $("more-movements").hidden = !connection.pageInfo.hasNextPage;
}

async function moreMovements() {
  try {
    const data = await graphql(MORE_MOVEMENTS, { id: opened.id, first: MOVEMENTS_PAGE, after: opened.after });
    if (!data.case) return;
    movements(data.case.movements);
    const count = $("timeline").children.length;
    say(shown(count, data.case.movements.totalCount, "andamento", "andamentos"));
  } catch (error) {
    failed(error);
  }
}

function size(bytes) {
  if (bytes < 1024) return bytes + " bytes";
  if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " KB";
  return (bytes / 1024 / 1024).toLocaleString("pt-BR", { maximumFractionDigits: 1 }) + " MB";
}

function documents(connection) {
  const list = $("documents");
  for (const edge of connection.edges) {
    const document_ = edge.node;
    const item = element("li");
    // a signed, short-lived link: opened as is, never kept
    const link = element("a", document_.title);
    link.href = document_.downloadUrl;
    link.setAttribute("download", document_.fileName);
    item.append(link);
    const about = [document_.fileName, size(document_.sizeBytes)];
    if (document_.filedOn) about.push("juntado em " + DATE.format(new Date(document_.filedOn)));
    item.append(element("p", about.join(" · "), "meta"));
    list.append(item);
  }
  if (!list.children.length) list.append(element("li", "Nenhum documento do tribunal ainda.", "meta"));
  opened.documentsAfter = connection.pageInfo.endCursor;
  $("more-documents").hidden = !connection.pageInfo.hasNextPage;
}

async function moreDocuments() {
  try {
    const variables = { id: opened.id, first: DOCUMENTS_PAGE, after: opened.documentsAfter };
    const data = await graphql(MORE_DOCUMENTS, variables);
    if (!data.case) return;
    documents(data.case.documents);
    const count = $("documents").children.length;
    say(shown(count, data.case.documents.totalCount, "documento", "documentos"));
  } catch (error) {
    failed(error);
  }
}

// sign-out

async function signOut() {
  const current = session();
  sessionStorage.removeItem(SESSION_KEY);
  if (current) {
    try {
      await fetch("/auth/revoke", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: current.refresh }),
      });
    } catch {
      // signed out here anyway: the refresh token is gone from this tab
    }
  }
  history.replaceState(null, "", location.pathname);
  signIn();
  say("Você saiu do portal.", "done");
}

// --- routing ------------------------------------------------------------------------

function route() {
  if (!session()) {
    signIn();
    return;
  }
  const match = /^#\/pasta\/(.+)$/.exec(location.hash);
  if (match) folder(decodeURIComponent(match[1]));
  else folders(false);
}

function start() {
  $("sign-in").addEventListener("submit", submitSignIn);
  $("sign-out").addEventListener("click", signOut);
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    list.search = $("search").value.trim();
    list.status = $("status-filter").value;
    folders(false, true); // the count that follows is announced (aria-live)
  });
  $("more-folders").addEventListener("click", (event) =>
    showMore(event.currentTarget, $("folders"), () => folders(true)),
  );
  $("more-movements").addEventListener("click", (event) =>
    showMore(event.currentTarget, $("timeline"), moreMovements),
  );
  $("more-documents").addEventListener("click", (event) =>
    showMore(event.currentTarget, $("documents"), moreDocuments),
  );
  window.addEventListener("hashchange", route);
  route();
}

start();
