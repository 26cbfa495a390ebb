# shellcheck shell=bash
# FreeIPA, after first boot: its ACME service on (`ipa-acme-manage enable`, only while it is off), and
# the CA certificate on stdout. cert-manager's ClusterIssuer trusts that certificate (caBundle) and
# the stack exports it (tlsCaCertificate). Every message goes to stderr: stdout is the certificate.
ca="$ROOT/etc/ipa/ca.crt"

wait_for_first_boot
wait_for_freeipa

# Root on the CA server manages ACME through LDAPI: no Kerberos login, no password needed.
if ipa-acme-manage status 2>/dev/null | grep -q "ACME is enabled"; then
  log "ACME already enabled"
else
  ipa-acme-manage enable >&2 || die "ipa-acme-manage enable failed"
  log "ACME enabled"
fi

# The directory answers once the CA has picked the change up.
waited=0
until curl --silent --show-error --fail --max-time 10 --cacert "$ca" "$IPA_ACME_DIRECTORY" >/dev/null; do
  [ "$waited" -lt "$IPA_ACME_TIMEOUT_SECONDS" ] || die "the ACME directory $IPA_ACME_DIRECTORY does not answer after ${waited}s"
  sleep 5
  waited=$((waited + 5))
done

grep -q -- "-----BEGIN CERTIFICATE-----" "$ca" || die "$ca holds no certificate"
cat "$ca"
