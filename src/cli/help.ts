// Help texts of the commands, printed by `knocklist COMMAND --help`. The general
// help in main.ts lists the commands, and each text here names every option of one.

const serverOptions = `  --server URL     knocklist server (default KNOCKLIST_URL, else http://127.0.0.1:8080)
  --config FILE    config file whose data folder has the admin-token file`
const tokenNote = "The admin token comes from KNOCKLIST_TOKEN, else the data folder's admin-token file."

// Builds the options note of a client command, with --json for those that
// can print JSON.
function clientNote(withJson: boolean): string {
  return `Client options:\n${serverOptions}\n${withJson ? '  --json           print JSON instead of text\n' : ''}${tokenNote}`
}

const durations = 'Durations: 90s, 15m, 8h, 1d, 1w, 1h30m, or a number of seconds.'

export const commandHelp: Readonly<Record<string, string>> = {
  serve: `Usage: knocklist serve [--config FILE]

Runs the server. Without --config it reads ./knocklist.yaml if present, else
runs on built-in defaults: data in ./data, 127.0.0.1:8080, a passive knoc
named demo. Stop it with SIGTERM or Ctrl-C.`,

  grant: `Usage: knocklist grant KNOC ADDRESS [--ttl DURATION] [--user NAME] [--comment TEXT]

Grants ADDRESS (an IPv4 or IPv6 address, or a network within the knoc's
prefix limit) access to KNOC. Grants of one address add up: it stays
allowed until its last grant ends.

Options:
  --ttl DURATION   how long the grant lasts (default: the knoc's ttl.default)
  --user NAME      who the grant is for, shown in router entry comments and the audit
  --comment TEXT   why, kept with the grant and in the audit trail
${durations}

${clientNote(true)}

Example: knocklist grant demo 203.0.113.7 --ttl 5m --user alice`,

  revoke: `Usage: knocklist revoke GRANT_ID

Ends one grant. The address leaves the feeds and routers unless another
grant covers it. knocklist grants KNOC lists the ids.

${clientNote(false)}`,

  grants: `Usage: knocklist grants KNOC

Lists the active grants of KNOC with their ids, users and end times.

${clientNote(true)}`,

  knocs: `Usage: knocklist knocs

Lists the knocs with their mode, address list, active grants and source.

${clientNote(true)}`,

  validate: `Usage: knocklist validate --url URL --username NAME --list LIST [--password-env VAR]
                          [--insecure] [--ca FILE] [--fingerprint SHA256] [--json]

Checks a RouterOS connection without a server: reachability, TLS,
authentication, REST availability and read access to LIST. Exits 0 only
when every check passes, and prints the certificate fingerprint to pin.

Options:
  --url URL            the router's address, such as https://192.0.2.1:8443
  --username NAME      the RouterOS user
  --list LIST          the address list to read
  --password-env VAR   environment variable with the password (default ROUTER_PASSWORD)
  --fingerprint SHA256 trust only the certificate with this SHA-256 fingerprint (hex)
  --ca FILE            trust certificates signed by this CA (PEM)
  --insecure           skip certificate checks (tests only)
  --json               print JSON instead of text`,

  'routeros-script': `Usage: knocklist routeros-script KNOC

Prints the RouterOS setup script of a passive or passive-plus knoc. It holds
the feed password, so keep the output private.

${clientNote(false)}`,

  audit: `Usage: knocklist audit [--knoc KNOC] [--since TIME] [--until TIME] [--limit N]

Reads the audit trail, newest first.

Options:
  --knoc KNOC    only records of this knoc
  --since TIME   from this time on (ISO 8601, such as 2026-12-01T00:00:00Z)
  --until TIME   up to this time
  --limit N      at most N records, from 1 to 1000 (default 100)

${clientNote(true)}`,

  token: `Usage: knocklist token create NAME | token list | token revoke NAME [--config FILE] [--json]

Manages admin tokens in the store of the data folder, whether or not the
server runs. create prints the new token once and stores only its hash.`,

  'check-config': `Usage: knocklist check-config [--config FILE]

Validates a config file (default ./knocklist.yaml) and prints every problem
with its key path and fix. Exits 0 when the file is valid.`,
}
