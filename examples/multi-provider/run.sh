#!/usr/bin/env bash
# The whole multi-provider setup in a box: dns-primary as Cloudflare (the primary) with its
# registrar (the lab's root zone), a BIND and a Knot secondary, and a validating unbound that
# resolves from the registrar down. The script walks the setup guide's seven steps through the
# API, runs `dns-primary lab check`, changes a record and watches it reach every provider,
# then makes a secondary stale on purpose (a notify-drop fault) and has the check report it.
# See README.md beside this file.
#
#   examples/multi-provider/run.sh                  # set up, check, keep running until Ctrl-C
#   examples/multi-provider/run.sh --check          # set up, check, stop (exit 0: as expected)
#   examples/multi-provider/run.sh --multi-signer   # the same with DNSSEC: Cloudflare signs
#       live, Knot signs its copy with keys of its own (RFC 8901 model 2), the registrar holds
#       both DS, and the resolver validates (AD). BIND then stays a hidden secondary: BIND 9.18
#       as an inline-signing secondary publishes only its own keys, not the other signers'.
#
# Resolvers ask nameservers on port 53 only, so every server has a loopback address of its
# own on port 53: run it as root (or with CAP_NET_BIND_SERVICE). BIND listens only on
# addresses configured on an interface, so it takes 127.0.0.1; the others take 127.53.0.x.
# Needs Debian's bind9, knot, unbound, bind9-dnsutils (dig), curl and jq, and the repository
# built (npm install && npm run build). API_PORT (8787) on API_HOST (127.0.0.1); LAB_NET (127.53.0) the
# first three octets of the lab's other addresses; WORK: the state folder.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
API_PORT=${API_PORT:-8787}
API_HOST=${API_HOST:-127.0.0.1} # where the API listens (the container's image: 0.0.0.0)
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/dns-primary-multi-provider.XXXXXX")}
ZONE=example.com
CHECK_ONLY=false
MULTI_SIGNER=false
for arg in "$@"; do
  case "$arg" in
    --check) CHECK_ONLY=true ;;
    --multi-signer) MULTI_SIGNER=true ;;
    *) echo "usage: $0 [--check] [--multi-signer]" >&2; exit 2 ;;
  esac
done

NET=${LAB_NET:-127.53.0} # the loopback addresses of the lab: $NET.1 to $NET.9
CLOUDFLARE=$NET.1     # dns-primary's DNS: Cloudflare's nameservers
REGISTRAR=$NET.2      # the registrar: the lab's root zone
BIND=127.0.0.1        # the BIND secondary
KNOT=$NET.4           # the Knot secondary
RESOLVER=$NET.9       # unbound, validating
API=http://127.0.0.1:$API_PORT/client/v4
EXT=http://127.0.0.1:$API_PORT/dns-primary/v1
TOKEN=multi-provider-lab
AUTH="Authorization: Bearer $TOKEN"

say() { printf '\n== %s\n' "$*"; }
die() { printf 'multi-provider: %s\n' "$*" >&2; exit 1; }

for tool in node curl jq dig named knotd keymgr unbound; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install bind9 knot unbound bind9-dnsutils curl jq)"
done
CLI=${DNS_PRIMARY_CLI:-$ROOT/dist/cli/main.js}
[ -f "$CLI" ] || die "build dns-primary first: (cd $ROOT && npm install && npm run build)"
[ "$(id -u)" = 0 ] || die "the servers listen on port 53 of loopback addresses: run as root"

mkdir -p "$WORK"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The API, failing loudly on an error envelope. Usage: api METHOD URL [JSON]
api() {
  local out
  if [ $# -ge 3 ]; then
    out=$(curl -sS -X "$1" "$2" -H "$AUTH" --json "$3")
  else
    out=$(curl -sS -X "$1" "$2" -H "$AUTH")
  fi
  [ "$(jq -r .success <<<"$out")" = true ] || die "$1 $2: $(jq -c .errors <<<"$out")"
  printf '%s' "$out"
}

serial_at() { dig +short +norec +time=1 +tries=1 @"$1" "$ZONE" SOA 2>/dev/null | awk '{print $3}'; }

# Wait until the server at $1 serves serial $2, while every process started is running.
wait_serial() {
  local pid
  for _ in $(seq 1 150); do
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || die "a server stopped; logs in $WORK"; done
    [ "$(serial_at "$1")" = "$2" ] && return 0
    sleep 0.2
  done
  die "the server at $1 does not serve serial $2 (it serves '$(serial_at "$1")'); see $WORK"
}

# What unbound resolves for "name type": the answer's data, and "AD" when it validated.
resolve() {
  local out
  out=$(dig +dnssec +time=3 +tries=2 @"$RESOLVER" "$1" "$2")
  printf '%s%s\n' "$(awk -v t="$2" '$4 == t {print $5}' <<<"$out" | sort | paste -sd, -)" \
    "$(grep -q 'flags:[^;]* ad' <<<"$out" && echo ' AD' || true)"
}

say "dns-primary as Cloudflare on $CLOUDFLARE:53, its registrar (the lab's root) on $REGISTRAR:53"
node "$CLI" serve --zones "$ROOT/zones" --dns "$CLOUDFLARE:53" --api "$API_HOST:$API_PORT" \
  --api-token "$TOKEN" --registrar "$REGISTRAR:53" --data-dir "$WORK/data" \
  >"$WORK/dns-primary.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -s "$API/zones" -H "$AUTH" >/dev/null && break; sleep 0.1; done
ACCOUNT_ID=$(api GET "$API/accounts" | jq -r '.result[0].id')
ZONE_ID=$(api GET "$API/zones?name=$ZONE" | jq -r '.result[0].id')

say "Step 1: a TSIG"
SECRET=$(head -c 32 /dev/urandom | base64)
TSIG_ID=$(api POST "$API/accounts/$ACCOUNT_ID/secondary_dns/tsigs" \
  '{"name":"multi-provider-lab.","algo":"hmac-sha256.","secret":"'"$SECRET"'"}' | jq -r .result.id)
echo "tsig multi-provider-lab. ($TSIG_ID)"

say "Step 2: the secondaries as peers (where NOTIFY goes, with the TSIG)"
BIND_PEER=$(api POST "$API/accounts/$ACCOUNT_ID/secondary_dns/peers" \
  '{"name":"bind","ip":"'"$BIND"'","port":53,"tsig_id":"'"$TSIG_ID"'"}' | jq -r .result.id)
KNOT_PEER=$(api POST "$API/accounts/$ACCOUNT_ID/secondary_dns/peers" \
  '{"name":"knot","ip":"'"$KNOT"'","port":53,"tsig_id":"'"$TSIG_ID"'"}' | jq -r .result.id)
echo "bind $BIND:53 ($BIND_PEER), knot $KNOT:53 ($KNOT_PEER)"

say "Step 3: both peers linked to $ZONE"
api POST "$API/zones/$ZONE_ID/secondary_dns/outgoing" \
  '{"name":"'"$ZONE"'.","peers":["'"$BIND_PEER"'","'"$KNOT_PEER"'"]}' | jq -c '.result | {name, peers}'

say "Step 4: the secondaries configured (dns-primary secondary-config --standalone)"
for who in bind knot; do
  node "$CLI" secondary-config --for "$who" --zone "$ZONE" --peer "$who" \
    --api "127.0.0.1:$API_PORT" --api-token "$TOKEN" --standalone "$WORK/$who" \
    --listen "$([ "$who" = bind ] && echo "$BIND" || echo "$KNOT"):53" >"$WORK/$who.start"
done
if [ "$MULTI_SIGNER" = true ]; then
  say "Multi-signer (Cloudflare's guide, steps 1-2): Knot's keys, its ZSK at Cloudflare, Cloudflare's ZSK at Knot"
  KNOT_CONF=$WORK/knot/knot.conf
  # Knot signs its copy with a policy of keys made and imported by hand (keymgr), none rolled.
  awk '/^template:/ { print "policy:\n  - id: multi-signer\n    algorithm: ecdsap256sha256\n    manual: on" }
       { print }
       /^    storage:/ && template { print "    dnssec-signing: on\n    dnssec-policy: multi-signer" }
       /^template:/ { template = 1 }' "$KNOT_CONF" >"$KNOT_CONF.new" && mv "$KNOT_CONF.new" "$KNOT_CONF"
  keymgr -c "$KNOT_CONF" "$ZONE." generate algorithm=13 ksk=yes zsk=no >/dev/null
  KNOT_ZSK_ID=$(keymgr -c "$KNOT_CONF" "$ZONE." generate algorithm=13 ksk=no zsk=yes)
  KNOT_ZSK=$(keymgr -c "$KNOT_CONF" "$ZONE." dnskey "$KNOT_ZSK_ID" | awk '{print $NF}')
  api PATCH "$API/zones/$ZONE_ID/dnssec" '{"dnssec_multi_signer": true}' >/dev/null
  api POST "$API/zones/$ZONE_ID/dns_records" '{"type":"DNSKEY","name":"'"$ZONE"'","ttl":3600,
    "data":{"flags":256,"protocol":3,"algorithm":13,"public_key":"'"$KNOT_ZSK"'"}}' | jq -r .result.content
  api PATCH "$API/zones/$ZONE_ID/dnssec" '{"status": "active"}' | jq -r .result.ds
  api GET "$API/zones/$ZONE_ID/dnssec/zsk" | jq -r '.result[0].SigningKey.pubkey' |
    sed "s/^/$ZONE. IN DNSKEY /" >"$WORK/cloudflare-zsk.key"
  keymgr -c "$KNOT_CONF" "$ZONE." import-pub "$WORK/cloudflare-zsk.key" >/dev/null
  keymgr -c "$KNOT_CONF" "$ZONE." list
fi
named -g -c "$WORK/bind/named.conf" >"$WORK/bind/named.log" 2>&1 &
PIDS+=($!)
knotd -c "$WORK/knot/knot.conf" >"$WORK/knot/knotd.log" 2>&1 &
PIDS+=($!)

say "Step 5: the secondaries' nameservers at the apex, multi-provider on"
# The providers that answer for the zone (with DNSSEC, only those that sign: Knot).
PROVIDERS=(knot)
[ "$MULTI_SIGNER" = true ] || PROVIDERS=(bind knot)
for who in "${PROVIDERS[@]}"; do
  api POST "$API/zones/$ZONE_ID/dns_records" '{"type":"NS","name":"@","content":"ns.'"$who"'.lab"}' >/dev/null
done
api PATCH "$API/zones/$ZONE_ID/dns_settings" '{"multi_provider": true}' | jq -c '.result | {multi_provider}'

say "Step 6: outgoing zone transfers on"
api POST "$API/zones/$ZONE_ID/secondary_dns/outgoing/enable" | jq -c .result
SERIAL=$(serial_at "$CLOUDFLARE")
wait_serial "$BIND" "$SERIAL"
wait_serial "$KNOT" "$SERIAL"
echo "BIND and Knot serve serial $SERIAL"

say "Step 7: at the registrar, the secondaries' nameservers beside Cloudflare's"
CF_NS=$(api GET "$EXT/registrar/domains/$ZONE" | jq -c '.result.nameservers')
NS_LIST=$(jq -c --arg p "${PROVIDERS[*]}" '. + ($p | split(" ") | map("ns." + . + ".lab"))' <<<"$CF_NS")
GLUE=$(jq -nc --arg p "${PROVIDERS[*]}" --arg bind "$BIND" --arg knot "$KNOT" \
  '$p | split(" ") | map({key: ("ns." + . + ".lab"), value: [if . == "bind" then $bind else $knot end]}) | from_entries')
# With DNSSEC, the DS of Knot's KSK beside Cloudflare's (which the registrar takes from the zone).
DS='[]'
[ "$MULTI_SIGNER" = true ] && DS=$(keymgr -c "$KNOT_CONF" "$ZONE." ds | awk '$(NF-1) == 2' | jq -Rsc 'split("\n") | map(select(. != ""))')
api PUT "$EXT/registrar/domains/$ZONE" '{"nameservers": '"$NS_LIST"', "glue": '"$GLUE"', "ds": '"$DS"'}' |
  jq -c '.result | {nameservers, glue, ds}'
ANCHOR=$(api GET "$EXT/registrar" | jq -r .result.trust_anchor.ds)
echo "the lab's trust anchor: $ANCHOR"

say "A validating resolver (unbound on $RESOLVER:53): the registrar is its root"
mkdir -p "$WORK/unbound"
printf '. 3600 IN NS ns.registrar.\nns.registrar. 3600 IN A %s\n' "$REGISTRAR" >"$WORK/unbound/root.hints"
cat >"$WORK/unbound/unbound.conf" <<EOF
server:
    interface: $RESOLVER@53
    access-control: 127.0.0.0/8 allow
    do-ip6: no
    do-not-query-localhost: no
    username: ""
    chroot: ""
    directory: "$WORK/unbound"
    pidfile: "$WORK/unbound/unbound.pid"
    use-syslog: no
    logfile: "$WORK/unbound/unbound.log"
    verbosity: 1
    root-hints: "$WORK/unbound/root.hints"
    trust-anchor: "$ANCHOR"
    # Short caching, so the lab sees its changes within seconds.
    cache-max-ttl: 2
    cache-max-negative-ttl: 2
EOF
unbound-checkconf "$WORK/unbound/unbound.conf" >/dev/null
unbound -d -c "$WORK/unbound/unbound.conf" &
PIDS+=($!)
for _ in $(seq 1 50); do dig +time=1 +tries=1 @"$RESOLVER" . SOA >/dev/null 2>&1 && break; sleep 0.1; done
echo "www.$ZONE A via unbound: $(resolve "www.$ZONE" A)"

FAILED=0
check() { # expected exit code: 0 (consistent) or 1 (the stale secondary reported)
  local code=0
  node "$CLI" lab check "$ZONE" --api "127.0.0.1:$API_PORT" --api-token "$TOKEN" \
    >"$WORK/check.txt" 2>&1 || code=$?
  if [ "$1" = 0 ]; then grep -v '^  same' "$WORK/check.txt"; else cat "$WORK/check.txt"; fi
  [ "$code" = "$1" ] || { echo "lab check exited $code, not $1"; FAILED=$((FAILED + 1)); }
}
say "dns-primary lab check $ZONE: from the registrar to every nameserver"
check 0

say "A change through the API: NOTIFY, IXFR, and every provider and the resolver follow"
RECORD_ID=$(api GET "$API/zones/$ZONE_ID/dns_records?name=mail.$ZONE&type=A" | jq -r '.result[0].id')
api PATCH "$API/zones/$ZONE_ID/dns_records/$RECORD_ID" '{"content":"192.0.2.26"}' >/dev/null
SERIAL=$(serial_at "$CLOUDFLARE")
wait_serial "$BIND" "$SERIAL"
wait_serial "$KNOT" "$SERIAL"
# With DNSSEC the resolver must say AD (validated), whichever provider it asked.
WANT=192.0.2.26
[ "$MULTI_SIGNER" = true ] && WANT="192.0.2.26 AD"
for _ in $(seq 1 20); do [ "$(resolve "mail.$ZONE" A)" = "$WANT" ] && break; sleep 0.5; done
echo "serial $SERIAL everywhere; mail.$ZONE A via unbound: $(resolve "mail.$ZONE" A)"
[ "$(resolve "mail.$ZONE" A)" = "$WANT" ] || FAILED=$((FAILED + 1))
check 0

# The provider made stale: BIND, or Knot when BIND is not one (--multi-signer).
if [ "$MULTI_SIGNER" = true ]; then STALE=knot STALE_AT=$KNOT STALE_PEER=$KNOT_PEER FRESH=bind FRESH_AT=$BIND
else STALE=bind STALE_AT=$BIND STALE_PEER=$BIND_PEER FRESH=knot FRESH_AT=$KNOT; fi
say "A fault: NOTIFY to $STALE dropped (notify-drop); the next change leaves it stale"
api POST "$EXT/zones/$ZONE_ID/faults" '{"kind":"notify-drop","peer_id":"'"$STALE_PEER"'"}' |
  jq -c '.result | {id, kind, peer_id}'
api PATCH "$API/zones/$ZONE_ID/dns_records/$RECORD_ID" '{"content":"192.0.2.27"}' >/dev/null
SERIAL=$(serial_at "$CLOUDFLARE")
wait_serial "$FRESH_AT" "$SERIAL"
echo "$FRESH serves $SERIAL; $STALE still serves $(serial_at "$STALE_AT")"
check 1

if [ "$FAILED" -ne 0 ]; then die "$FAILED checks did not come out as expected; logs in $WORK"; fi
say "As expected. The lab's files: $WORK"
cat <<EOF
Try:
  dig @$RESOLVER www.$ZONE A +dnssec                     # the resolver, from the top
  dig @$REGISTRAR $ZONE NS +norec                        # the registrar's referral
  node $CLI lab check $ZONE --api 127.0.0.1:$API_PORT --api-token $TOKEN
  curl -s -X DELETE $EXT/zones/$ZONE_ID/faults -H "$AUTH"   # $STALE catches up at the next NOTIFY
EOF
if [ "$CHECK_ONLY" = true ]; then exit 0; fi
echo "Running; Ctrl-C stops every server."
wait
