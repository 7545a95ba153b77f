// Why a new password was refused, in Portuguese: the API says it in English
// (POST /auth/invitations/accept answers weak_password with an error_description).
"use strict";

window.weakPasswordMessage = function (description) {
  const text = description || "";
  const fewest = /at least (\d+) characters/.exec(text);
  if (fewest) return "A senha precisa de pelo menos " + fewest[1] + " caracteres.";
  const most = /at most (\d+) characters/.exec(text);
  if (most) return "A senha pode ter no máximo " + most[1] + " caracteres.";
  if (/control characters/.test(text)) return "A senha não pode ter caracteres de controle.";
  if (/e-mail address/.test(text)) return "A senha não pode ser o seu e-mail.";
  return (
    "Esta senha é fácil de adivinhar. Escolha uma mais longa, de preferência algumas " +
    "palavras que só você associaria, sem o seu nome ou e-mail."
  );
};
