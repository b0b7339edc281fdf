// Passkeys (WebAuthn): register one, sign in with one, verify oneself again with one.
// Only an enhancement: without it, the password forms of the same pages still work.
"use strict";

(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return; // the buttons stay hidden
  }

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i += 1) {
      raw += String.fromCharCode(bytes[i]);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBytes(json.user.id) });
    options.excludeCredentials = (json.excludeCredentials || []).map(function (c) {
      return Object.assign({}, c, { id: toBytes(c.id) });
    });
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.allowCredentials = (json.allowCredentials || []).map(function (c) {
      return Object.assign({}, c, { id: toBytes(c.id) });
    });
    return options;
  }

  function answer(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      json.response.userHandle = response.userHandle ? toText(response.userHandle) : null;
    }
    return JSON.stringify(json);
  }

  function post(url, fields) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields),
    }).then(function (reply) {
      return reply.json().then(function (data) {
        if (!reply.ok) {
          throw new Error(data.error || "La clé d'accès n'a pas pu être utilisée.");
        }
        return data;
      });
    });
  }

  function say(container, message) {
    var alert = container.querySelector("[data-passkey-error]");
    if (alert) {
      alert.hidden = false;
      alert.querySelector("p").textContent = message;
    }
  }

  function refusal(error) {
    if (error && error.name === "NotAllowedError") {
      return "Opération annulée ou délai dépassé : rien n'a été fait.";
    }
    return (error && error.message) || "La clé d'accès n'a pas pu être utilisée.";
  }

  // One ceremony per element: data-passkey="register" (a form), "signin" or "verify".
  function run(element, container) {
    var base = element.getAttribute("data-passkey-url");
    var fields = { csrf_token: element.getAttribute("data-csrf") };
    var extra = element.getAttribute("data-fields");
    if (extra) {
      Object.assign(fields, JSON.parse(extra));
    }
    var kind = element.getAttribute("data-passkey");
    if (kind === "register") {
      fields.name = element.querySelector("input[name=name]").value;
    }
    return post(base + "/options", fields)
      .then(function (ceremony) {
        var options = JSON.parse(ceremony.options);
        var asked = kind === "register"
          ? navigator.credentials.create({ publicKey: creationOptions(options) })
          : navigator.credentials.get({ publicKey: requestOptions(options) });
        return asked.then(function (credential) {
          return post(base, Object.assign({}, fields, {
            handle: ceremony.handle,
            credential: answer(credential),
          }));
        });
      })
      .then(function (done) {
        window.location.assign(done.redirect);
      })
      .catch(function (error) {
        say(container, refusal(error));
      });
  }

  document.querySelectorAll("[data-passkey]").forEach(function (element) {
    var container = element.closest("[data-passkey-zone]") || document;
    element.hidden = false;
    var wrapper = element.closest("[data-passkey-wrapper]");
    if (wrapper) {
      wrapper.hidden = false;
    }
    var trigger = element.tagName === "FORM" ? "submit" : "click";
    element.addEventListener(trigger, function (event) {
      event.preventDefault();
      run(element, container);
    });
  });
})();
