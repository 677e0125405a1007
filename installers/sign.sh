#!/usr/bin/env bash
# Signs a Windows build with Authenticode (osslsigncode) and verifies the
# signature, in place:
#
#   installers/sign.sh bin/downloads/sos-windows-amd64.exe cert.pem key.pem
#
# CERT.pem is the organisation's code-signing certificate (with its chain,
# if any, after it); KEY.pem its private key (KEY_PASSWORD if encrypted).
# TIMESTAMP_URL (an RFC 3161 server) keeps the signature valid after the
# certificate expires; without it the file is signed untimestamped.
# The verification trusts CA_FILE, else the certificate itself when it is
# self-signed (tests), else the system's CA bundle.
#
# The signature covers the file's contents, not its name: the download
# pages rename the file (RelayDesk-SOS__HOST__PORT__KEY__TOKEN.exe) and it
# stays valid.
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 FILE.exe CERT.pem KEY.pem" >&2
	exit 2
fi
file=$1 cert=$2 key=$3
for f in "$file" "$cert" "$key"; do
	if [ ! -r "$f" ]; then
		echo "sign.sh: cannot read $f" >&2
		exit 1
	fi
done
if ! command -v osslsigncode >/dev/null; then
	echo "sign.sh: osslsigncode is missing; run installers/deps.sh first" >&2
	exit 1
fi

args=(sign -certs "$cert" -key "$key" -h sha256 -n "RelayDesk SOS")
if [ -n "${KEY_PASSWORD:-}" ]; then
	args+=(-pass "$KEY_PASSWORD")
fi
if [ -n "${TIMESTAMP_URL:-}" ]; then
	args+=(-ts "$TIMESTAMP_URL")
fi
tmp="$file.signing"
rm -f "$tmp"
trap 'rm -f "$tmp"' EXIT
if ! osslsigncode "${args[@]}" -in "$file" -out "$tmp" >"$tmp.log" 2>&1; then
	echo "sign.sh: signing $file failed:" >&2
	cat "$tmp.log" >&2
	rm -f "$tmp.log"
	exit 1
fi
rm -f "$tmp.log"

ca=${CA_FILE:-}
if [ -z "$ca" ]; then
	subject=$(openssl x509 -in "$cert" -noout -subject -nameopt compat | sed 's/^subject=//')
	issuer=$(openssl x509 -in "$cert" -noout -issuer -nameopt compat | sed 's/^issuer=//')
	if [ "$subject" = "$issuer" ]; then
		ca=$cert
	else
		ca=/etc/ssl/certs/ca-certificates.crt
	fi
fi
if ! out=$(osslsigncode verify -CAfile "$ca" -in "$tmp" 2>&1); then
	echo "sign.sh: the signature of $file does not verify against $ca:" >&2
	echo "$out" >&2
	exit 1
fi
mv "$tmp" "$file"
echo "sign.sh: signed and verified $file" >&2
