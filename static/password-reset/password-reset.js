// A forgotten password: asks for a link (POST /auth/password-reset), or, opened from
// the link, sets the new password (POST /auth/invitations/accept).
"use strict";

(function () {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  // The token leaves the address bar (and the history) as soon as it is read.
  history.replaceState(null, "", location.pathname);

  const REFUSALS = {
    invalid_token: "Este link para criar uma nova senha não é válido.",
    used_token: "Este link já foi usado: entre com a sua senha, ou peça um novo link aqui.",
    revoked_token: "Este link não vale mais: um mais novo foi enviado, a senha foi trocada, ou o acesso foi revogado.",
    expired_token: "Este link expirou: peça um novo aqui.",
  };

  function show(text, kind) {
    const outcome = document.getElementById("outcome");
    outcome.textContent = text;
    outcome.className = kind;
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    return { ok: response.ok, status: response.status, body: await response.json() };
  }

  function ask(form) {
    form.hidden = false;
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const login = form.login.value.trim();
      if (!login) {
        show("Informe o seu login.", "error");
        return;
      }
      form.send.disabled = true;
      show("Enviando…", "");
      try {
        const answer = await post("/auth/password-reset", { login: login });
        if (answer.ok) {
          form.hidden = true;
          show("Se " + login + " for o login de uma conta, um link para criar uma nova senha foi enviado para ele. Confira a sua caixa de entrada.", "done");
          return;
        }
        if (answer.status === 429) {
          show("Muitos pedidos seguidos. Tente de novo mais tarde.", "error");
        } else {
          show("Não foi possível pedir o link. Confira o login.", "error");
        }
      } catch (error) {
        show("Sem conexão com o servidor. Tente de novo em instantes.", "error");
      }
      form.send.disabled = false;
    });
  }

  function reset(form, again) {
    // The link is checked as the page opens: a used, replaced or expired one is said at
    // once, with the form that asks for a new link, before anyone types a password.
    form.hidden = true;
    show("Conferindo o link…", "");
    post("/auth/invitations/check", { token: token })
      .then(function (answer) {
        if (answer.ok) {
          form.hidden = false;
          show("", "");
          return;
        }
        show(REFUSALS[answer.body.error] || "Não foi possível usar este link.", "error");
        ask(again);
      })
      .catch(function () {
        form.hidden = false; // the server will say, when the password is sent
        show("", "");
      });
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const password = form.password.value;
      if (password !== form.confirmation.value) {
        show("As duas senhas não são iguais.", "error");
        return;
      }
      form.submit.disabled = true;
      show("Enviando…", "");
      try {
        const answer = await post("/auth/invitations/accept", { token: token, password: password });
        if (answer.ok) {
          form.hidden = true;
          document.getElementById("next").hidden = false;
          show("Nova senha criada. Entre com o login " + answer.body.login + " e a nova senha.", "done");
          return;
        }
        if (answer.body.error === "weak_password") {
          show(window.weakPasswordMessage(answer.body.error_description), "error");
        } else {
          form.hidden = true;
          show(REFUSALS[answer.body.error] || "Não foi possível criar a nova senha.", "error");
          ask(again);
          return;
        }
      } catch (error) {
        show("Sem conexão com o servidor. Tente de novo em instantes.", "error");
      }
      form.submit.disabled = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const askForm = document.getElementById("ask");
    if (token) {
      reset(document.getElementById("reset"), askForm);
    } else {
      ask(askForm);
    }
  });
})();
