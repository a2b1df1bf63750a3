# Enables `heroku ps:exec` on Heroku (https://devcenter.heroku.com/articles/exec#using-with-docker).
# HEROKU_EXEC_URL is only set on Heroku dynos with the feature enabled; elsewhere this does nothing.
if [ -n "${HEROKU_EXEC_URL:-}" ] && [ -z "${SSH_CLIENT:-}" ]; then
  source <(curl --fail --retry 3 -sSL "$HEROKU_EXEC_URL")
fi
