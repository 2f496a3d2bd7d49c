#!/usr/bin/env bash
# Multi-signer DNSSEC (RFC 8901, model 2) with dns-primary as Cloudflare, the primary, and
# Knot DNS as the other provider: a secondary that signs its copy with keys of its own.
# It walks Cloudflare's "Set up multi-signer DNSSEC" guide through the API, then asks BIND's
# validating delv to check answers from both providers with one trust anchor set, the DS
# records of both KSKs as a registrar would publish them. See README.md beside this file.
#
#   examples/multi-signer/run.sh            # set up, check, then keep running until Ctrl-C
#   examples/multi-signer/run.sh --check    # set up, check, stop (exit code 0: all validated)
#
# Needs Debian's knot, bind9-dnsutils (delv, dig), curl and jq, and the repository built
# (npm install && npm run build). Ports: DNS_PORT (dns-primary, 5300), API_PORT (8787),
# KNOT_PORT (5302), all on 127.0.0.1; WORK is the folder for the state (a new temporary one).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DNS_PORT=${DNS_PORT:-5300}
API_PORT=${API_PORT:-8787}
KNOT_PORT=${KNOT_PORT:-5302}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/dns-primary-multi-signer.XXXXXX")}
ZONE=example.com
CHECK_ONLY=false
[ "${1:-}" = "--check" ] && CHECK_ONLY=true

API=http://127.0.0.1:$API_PORT/client/v4
AUTH="Authorization: Bearer multi-signer-lab"
KNOT_CONF=$WORK/knot/knot.conf

say() { printf '\n== %s\n' "$*"; }
die() { printf 'multi-signer: %s\n' "$*" >&2; exit 1; }

for tool in node curl jq dig delv knotd knotc keymgr; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install knot bind9-dnsutils curl jq)"
done
# dns-primary's command (DNS_PRIMARY_CLI: another build of it, as the tests use).
CLI=${DNS_PRIMARY_CLI:-$ROOT/dist/cli/main.js}
[ -f "$CLI" ] || die "build dns-primary first: (cd $ROOT && npm install && npm run build)"

mkdir -p "$WORK/knot"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The API, failing loudly on an error envelope. Usage: api METHOD PATH [JSON]
api() {
  local out
  if [ $# -ge 3 ]; then
    out=$(curl -sS -X "$1" "$API$2" -H "$AUTH" --json "$3")
  else
    out=$(curl -sS -X "$1" "$API$2" -H "$AUTH")
  fi
  [ "$(jq -r .success <<<"$out")" = true ] || die "$1 $2: $(jq -c .errors <<<"$out")"
  printf '%s' "$out"
}

# The zone's SOA serial at a server (empty while it serves none).
serial_at() { dig +short +norec @127.0.0.1 -p "$1" "$ZONE" SOA | awk '{print $3}'; }

# Wait until the server on port $1 serves serial $2, while every process started is running.
wait_serial() {
  local pid
  for _ in $(seq 1 100); do
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || die "a server stopped; logs in $WORK"; done
    [ "$(serial_at "$1")" = "$2" ] && return 0
    sleep 0.2
  done
  die "the server on port $1 does not serve serial $2 (it serves '$(serial_at "$1")'); see $WORK"
}

say "dns-primary (as Cloudflare): DNS 127.0.0.1:$DNS_PORT, API $API, state in $WORK/data"
node "$CLI" serve --zones "$ROOT/zones" --dns "127.0.0.1:$DNS_PORT" \
  --api "127.0.0.1:$API_PORT" --data-dir "$WORK/data" >"$WORK/dns-primary.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do curl -s "$API/zones" -H "$AUTH" >/dev/null && break; sleep 0.1; done
ACCOUNT_ID=$(api GET /accounts | jq -r '.result[0].id')
ZONE_ID=$(api GET "/zones?name=$ZONE" | jq -r '.result[0].id')

# The other provider's keys exist before anything else: its ZSK goes to Cloudflare first.
say "Knot (the other provider): its own KSK and ZSK, made with keymgr"
cat >"$KNOT_CONF" <<EOF
server:
    rundir: "$WORK/knot"
    listen: 127.0.0.1@$KNOT_PORT
database:
    storage: "$WORK/knot"
control:
    listen: "$WORK/knot/knot.sock"
log:
  - target: stderr
    any: info
policy:
  # Keys made and imported by hand (keymgr), none rolled: the multi-signer key sets stay as set.
  - id: multi-signer
    algorithm: ecdsap256sha256
    manual: on
template:
  - id: default
    storage: "$WORK/knot"
    dnssec-signing: on
    dnssec-policy: multi-signer
EOF
keymgr -c "$KNOT_CONF" "$ZONE." generate algorithm=13 ksk=yes zsk=no >/dev/null
KNOT_ZSK_ID=$(keymgr -c "$KNOT_CONF" "$ZONE." generate algorithm=13 ksk=no zsk=yes)
KNOT_ZSK=$(keymgr -c "$KNOT_CONF" "$ZONE." dnskey "$KNOT_ZSK_ID" | awk '{print $NF}')
keymgr -c "$KNOT_CONF" "$ZONE." list

say "Cloudflare step 1.1: multi-signer DNSSEC on (PATCH /zones/{id}/dnssec)"
api PATCH "/zones/$ZONE_ID/dnssec" '{"dnssec_multi_signer": true}' | jq -c '.result | {status, dnssec_multi_signer}'

say "Cloudflare step 1.2: Knot's ZSK as a DNSKEY record at the apex"
api POST "/zones/$ZONE_ID/dns_records" '{"type":"DNSKEY","name":"'"$ZONE"'","ttl":3600,
  "data":{"flags":256,"protocol":3,"algorithm":13,"public_key":"'"$KNOT_ZSK"'"}}' | jq -r .result.content

say "Cloudflare step 1.3: DNSSEC on"
api PATCH "/zones/$ZONE_ID/dnssec" '{"status": "active"}' | jq -r .result.ds

say "Cloudflare step 1.4-1.5: Knot's nameserver at the apex, multi-provider on"
api POST "/zones/$ZONE_ID/dns_records" '{"type":"NS","name":"@","content":"ns1.knot.example.net"}' >/dev/null
api PATCH "/zones/$ZONE_ID/dns_settings" '{"multi_provider": true}' | jq -c '.result | {multi_provider}'

say "Cloudflare as primary: a TSIG, Knot as a peer, outgoing transfers of $ZONE"
SECRET=$(head -c 32 /dev/urandom | base64)
TSIG_ID=$(api POST "/accounts/$ACCOUNT_ID/secondary_dns/tsigs" \
  '{"name":"multi-signer-lab.","algo":"hmac-sha256.","secret":"'"$SECRET"'"}' | jq -r .result.id)
PEER_ID=$(api POST "/accounts/$ACCOUNT_ID/secondary_dns/peers" \
  '{"name":"knot","ip":"127.0.0.1","port":'"$KNOT_PORT"',"tsig_id":"'"$TSIG_ID"'"}' | jq -r .result.id)
api POST "/zones/$ZONE_ID/secondary_dns/outgoing" '{"name":"'"$ZONE"'.","peers":["'"$PEER_ID"'"]}' >/dev/null
api POST "/zones/$ZONE_ID/secondary_dns/outgoing/enable" >/dev/null
echo "peer knot at 127.0.0.1:$KNOT_PORT with TSIG multi-signer-lab."

say "Other provider step 2.1-2.2: Cloudflare's ZSK (GET /zones/{id}/dnssec/zsk) into Knot's key set"
api GET "/zones/$ZONE_ID/dnssec/zsk" | jq -r '.result[0].SigningKey.pubkey' |
  sed "s/^/$ZONE. IN DNSKEY /" >"$WORK/cloudflare-zsk.key"
cat "$WORK/cloudflare-zsk.key"
keymgr -c "$KNOT_CONF" "$ZONE." import-pub "$WORK/cloudflare-zsk.key" >/dev/null

say "Knot: $ZONE as a secondary of dns-primary (dns-primary secondary-config --for knot), signing its copy"
node "$CLI" secondary-config --for knot --zone "$ZONE" \
  --api "127.0.0.1:$API_PORT" --api-token multi-signer-lab >>"$KNOT_CONF"
knotd -c "$KNOT_CONF" >"$WORK/knot/knotd.log" 2>&1 &
PIDS+=($!)
SERIAL=$(serial_at "$DNS_PORT")
wait_serial "$KNOT_PORT" "$SERIAL"
echo "Knot serves serial $SERIAL, signed:"
grep -E 'DNSSEC, (key|successfully signed)' "$WORK/knot/knotd.log" | sed 's/^[^[]*//' || true

say "Registrar step 3.1: one DS per provider; a resolver trusts the zone through either"
{
  api GET "/zones/$ZONE_ID/dnssec" | jq -r .result.ds
  keymgr -c "$KNOT_CONF" "$ZONE." ds | awk '$(NF-1) == 2'
} | tee "$WORK/ds.txt"
# delv's trust anchors, written as the DS set the parent would serve (static-ds).
{
  echo "trust-anchors {"
  awk '{ n = NF; printf "  %s static-ds %s %s %s \"%s\";\n", $1, $(n-3), $(n-2), $(n-1), $n }' "$WORK/ds.txt"
  echo "};"
} >"$WORK/anchors.conf"

CHECKS=(
  "www.$ZONE A"        # proxied: Cloudflare's anycast addresses, as transferred
  "$ZONE MX"
  "$ZONE DNSKEY"       # each provider's own KSK signs a set holding both ZSKs
  "nope.$ZONE A"       # no such name: a compact denial from Cloudflare, NSEC from Knot
  "www.$ZONE TXT"      # no such type
)
FAILED=0
validate() { # name type: "fully validated" from both providers, or count a failure
  local port who out
  for port in "$DNS_PORT" "$KNOT_PORT"; do
    who=$([ "$port" = "$DNS_PORT" ] && echo cloudflare || echo knot)
    out=$(delv @127.0.0.1 -p "$port" -a "$WORK/anchors.conf" "+root=$ZONE." "$@" 2>&1 || true)
    if grep -q "fully validated" <<<"$out"; then
      printf '%-10s %-28s %s\n' "$who" "$*" "$(grep -m1 -o '[a-z ,]*fully validated' <<<"$out")"
    else
      printf '%-10s %-28s NOT VALIDATED\n%s\n' "$who" "$*" "$out"
      FAILED=$((FAILED + 1))
    fi
  done
}
say "Check: delv validates each answer at both providers with the one trust anchor set"
for c in "${CHECKS[@]}"; do
  # shellcheck disable=SC2086 # "name type" splits into delv's two arguments
  validate $c
done

say "A change through the API: Knot follows by NOTIFY, signs it, and both validate it"
api POST "/zones/$ZONE_ID/dns_records" '{"type":"TXT","name":"changed","content":"\"multi-signer\""}' >/dev/null
SERIAL=$(serial_at "$DNS_PORT")
wait_serial "$KNOT_PORT" "$SERIAL"
echo "both serve serial $SERIAL"
validate "changed.$ZONE" TXT

if [ "$FAILED" -ne 0 ]; then die "$FAILED answers did not validate; logs in $WORK"; fi
say "All validated. The lab's files: $WORK"
cat <<EOF
Try:
  delv @127.0.0.1 -p $DNS_PORT -a $WORK/anchors.conf +root=$ZONE. www.$ZONE A    # Cloudflare
  delv @127.0.0.1 -p $KNOT_PORT -a $WORK/anchors.conf +root=$ZONE. www.$ZONE A    # Knot
  curl -s $API/zones/$ZONE_ID/dnssec -H "$AUTH" | jq .result
EOF
if [ "$CHECK_ONLY" = true ]; then exit 0; fi
echo "Running; Ctrl-C stops dns-primary and Knot."
wait
