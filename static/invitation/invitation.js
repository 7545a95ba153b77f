// Sets the password of an invited account: POST /auth/invitations/accept.
"use strict";

(function () {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  // The token leaves the address bar (and the history) as soon as it is read.
  history.replaceState(null, "", location.pathname);

  const REFUSALS = {
    invalid_token: "Este link de convite não é válido.",
    used_token: "Este convite já foi usado: entre com sua senha, ou peça um novo convite ao escritório.",
    revoked_token: "Este convite não vale mais: um mais novo foi enviado, ou o acesso foi revogado.",
    expired_token: "Este convite expirou: peça um novo ao escritório.",
  };

  function show(text, kind) {
    const outcome = document.getElementById("outcome");
    outcome.textContent = text;
    outcome.className = kind;
  }

  document.addEventListener("DOMContentLoaded", function () {
    const form = document.getElementById("accept");
    if (!token) {
      form.hidden = true;
      show("Este link de convite está incompleto. Abra o link exatamente como ele chegou no e-mail.", "error");
      return;
    }
    // The link is checked as the page opens: a used, withdrawn or wrong one is said at
    // once, before anyone types a password.
    form.hidden = true;
    show("Conferindo o convite…", "");
    fetch("/auth/invitations/check", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: token }),
    })
      .then(async function (response) {
        if (response.ok) {
          form.hidden = false;
          show("", "");
          return;
        }
        const body = await response.json();
        show(REFUSALS[body.error] || "Não foi possível usar este convite.", "error");
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
        const response = await fetch("/auth/invitations/accept", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ token: token, password: password }),
        });
        const body = await response.json();
        if (response.ok) {
          form.hidden = true;
          document.getElementById("next").hidden = false;
          show("Senha criada. Entre no portal com o login " + body.login + " e a senha que você escolheu.", "done");
          return;
        }
        if (body.error === "weak_password") {
          show(window.weakPasswordMessage(body.error_description), "error");
        } else {
          show(REFUSALS[body.error] || body.error_description || "Não foi possível criar a senha.", "error");
        }
      } catch (error) {
        show("Sem conexão com o servidor. Tente de novo em instantes.", "error");
      }
      form.submit.disabled = false;
    });
  });
})();
