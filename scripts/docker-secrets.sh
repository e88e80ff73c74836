#!/bin/sh
# Makes the files `docker compose up` mounts as secrets (docker-compose.yml), in ./secrets/ or the
# folder given as the first argument:
#
#   db_password, db_root_password   MariaDB passwords (random)
#   hl7_key                         HL7_KEY, for '![...]' values in config-secured-docker.yaml (random)
#   https-key.pem, https-cert.pem   a self-signed TLS certificate for the HTTPS door (demo only)
#   config-secured-docker.yaml      the listener's secured config: db.password and a demo API key
#   api-key                         that API key, for you (curl, Postman); not mounted anywhere
#
# A file that exists is kept, never overwritten: delete it to make it again. Needs only openssl.
# HL7_TLS_SAN (default DNS:localhost,DNS:listener,IP:127.0.0.1) names the certificate's hosts.
# See docs/operations.md.
set -eu

if [ $# -gt 0 ]; then
  dir=$1
else
  cd "$(dirname "$0")/.."
  dir=secrets
fi
san=${HL7_TLS_SAN:-DNS:localhost,DNS:listener,IP:127.0.0.1}

umask 077
mkdir -p "$dir"
# The folder keeps other users of this machine out. The files are readable by all (0644) because
# compose mounts them as they are and the listener runs as uid 1000 (node) inside its container;
# a mounted file is reached without going through this folder.
chmod 700 "$dir"

missing() {
  if [ -e "$dir/$1" ]; then
    echo "kept     $dir/$1"
    return 1
  fi
  return 0
}

made() {
  chmod 644 "$dir/$1"
  echo "created  $dir/$1"
}

random() {
  openssl rand -hex 24
}

for name in db_password db_root_password; do
  if missing "$name"; then
    random > "$dir/$name"
    made "$name"
  fi
done

if missing hl7_key; then
  openssl rand -base64 32 > "$dir/hl7_key"
  made hl7_key
fi

# Made as a pair: delete both to make a new one.
if [ -e "$dir/https-key.pem" ] && [ -e "$dir/https-cert.pem" ]; then
  echo "kept     $dir/https-key.pem, $dir/https-cert.pem"
else
  conf=$(mktemp)
  trap 'rm -f "$conf"' EXIT
  cat > "$conf" <<EOF
[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
O = hl7v2-listener demo
CN = localhost
[ext]
subjectAltName = $san
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
EOF
  openssl req -x509 -config "$conf" -newkey rsa:2048 -nodes -days 825 \
    -keyout "$dir/https-key.pem" -out "$dir/https-cert.pem" 2>/dev/null
  made https-key.pem
  made https-cert.pem
fi

if missing config-secured-docker.yaml; then
  if [ ! -e "$dir/api-key" ]; then
    # The form `npm run secure -- new-api-key` makes: hl7k_ and 32 random bytes, base64url.
    printf 'hl7k_%s\n' "$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\n')" > "$dir/api-key"
    made api-key
  fi
  key=$(head -n 1 "$dir/api-key")
  digest=$(printf '%s' "$key" | openssl dgst -sha256 | sed 's/^.*= *//')
  cat > "$dir/config-secured-docker.yaml" <<EOF
# Made by scripts/docker-secrets.sh. Mounted into the listener as a compose secret at
# /app/config/config-secured-docker.yaml and merged over config-docker.yaml (lists replace).
# It never goes into the image or into git.
db:
  # The same password as db_password, which MariaDB got when its volume was first created. It may be
  # written encrypted instead, '![...]', made with the key in hl7_key (docs/operations.md).
  password: '$(cat "$dir/db_password")'
https:
  apiKeys:
    # The key itself is in api-key (for you, not for the listener); only its SHA-256 is here.
    - name: demo
      sha256: $digest
      roles: [ingest, read]
EOF
  made config-secured-docker.yaml
fi

cat <<EOF

Next:   docker compose up --build
MLLP:   localhost:30500
HTTPS:  curl --cacert $dir/https-cert.pem -H "Authorization: Bearer \$(cat $dir/api-key)" https://localhost:8443/api/messages
EOF
