# Shared by scripts/demo (the command-line walkthrough) and scripts/desktop (the desktop app):
# the printing helpers, and a local relay with a cluster enrolled through it — a coordinator,
# an IMO (keys in the OS keyring) and a partner (keys under a passphrase). Sourced from a
# temporary working directory, with `sealpost` and `sealpost-relay` on the PATH. Leaves the
# members' data directories in coordinator/, imo/ and partner/, and sets `relay` (its URL) and
# `relay_pid` (for the caller's clean-up).

bold=; plain=
if [ -t 1 ]; then bold=$'\033[1m'; plain=$'\033[0m'; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
# Shows each command as it could be typed, quoting only the words that need it.
run() {
  local word shown=()
  for word in "$@"; do
    if [[ $word =~ ^[A-Za-z0-9_./:=@%+-]+$ ]]; then shown+=("$word"); else shown+=("'$word'"); fi
  done
  printf '$ %s\n' "${shown[*]}"
  "$@"
}

step "The coordinator, the IMO and a partner each create an identity (keys in the OS keyring)"
run sealpost --home coordinator init --name "Daw Khin" --org "Protection Cluster" >/dev/null
run sealpost --home imo init --name "U Ba Tun" --org "Shelter Cluster IMO" >/dev/null
printf 'partner demo passphrase, not a real one\n' > partner-passphrase
echo "(the partner's identity is protected by a passphrase, as on a machine without a keyring)"
run sealpost --home partner --passphrase-file partner-passphrase \
  init --name "Daw Aye Aye" --org "Example NGO" >/dev/null

step "The coordinator creates the cluster: roster version 1, signed with their key"
run sealpost --home coordinator cluster create --name "Demo Protection Cluster"

step "A relay starts on this machine (SQLite store and blobs in relay-data/); it trusts only the coordinator's key"
coordinator_key=$(sealpost --home coordinator whoami --json |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["signing_key"])')
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
relay="http://127.0.0.1:$port"
echo "$ sealpost-relay serve --data relay-data --listen 127.0.0.1:$port --coordinator-key $coordinator_key &"
SEALPOST_RELAY_LOG=warn sealpost-relay serve --data relay-data --listen "127.0.0.1:$port" \
  --coordinator-key "$coordinator_key" &
relay_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
run sealpost --home coordinator relay use "$relay"
run sealpost --home coordinator cluster publish

step "The coordinator invites the IMO and the partner; the codes carry the relay's address"
run sealpost --home coordinator cluster invite --role imo --relay "$relay" | tee invite-imo
run sealpost --home coordinator cluster invite --role partner --org "Example NGO" \
  --relay "$relay" > invite-partner
cat invite-partner

step "Each joins with their code: the coordinator key is pinned; the request goes to the relay"
run sealpost --home imo join "$(tail -n1 invite-imo)" --out imo-join.json
run sealpost --home partner --passphrase-file partner-passphrase \
  join "$(tail -n1 invite-partner)" --out partner-join.json >/dev/null

step "The coordinator fetches the requests from the relay, checks them (HMAC under each invite's secret) and approves them"
run sealpost --home coordinator cluster requests
ids=$(sealpost --home coordinator cluster requests --json |
  python3 -c 'import json, sys; print(" ".join(r["id"] for r in json.load(sys.stdin)["requests"]))')
for id in $ids; do
  run sealpost --home coordinator cluster approve "$id"
done

step "Members pull the signed roster from the relay; each checks it against the pinned coordinator key"
run sealpost --home imo roster pull
run sealpost --home partner --passphrase-file partner-passphrase roster pull
run sealpost --home partner members

step "The partner and the IMO compare their safety number by phone: the same digits on both sides"
run sealpost --home partner verify "U Ba Tun" | tail -n1
run sealpost --home imo verify "Daw Aye Aye" | tail -n1
