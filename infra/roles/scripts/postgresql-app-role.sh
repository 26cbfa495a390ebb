# shellcheck shell=bash
# PostgreSQL, after first boot: the microservices' login role and database with the stack's
# generated password, which arrives as the first line of stdin (never in the VM's user-data, never
# on a command line; psql gets it on its stdin from a bash builtin). Idempotent: the SQL
# (FMC_ROLE_SQL) creates what is missing and sets the password on every run.
wait_for_first_boot

password=""
IFS= read -r password || true
case $password in
  '' | *[!A-Za-z0-9]*) die "stdin must hold the application role's password (letters and digits)" ;;
esac

waited=0
until runuser -u postgres -- pg_isready -q; do
  [ "$waited" -lt 120 ] || die "PostgreSQL does not accept connections after ${waited}s (systemctl status postgresql)"
  sleep 2
  waited=$((waited + 2))
done
{
  printf "\\\\set password '%s'\n" "$password"
  printf '%s\n' "$FMC_ROLE_SQL"
} | runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -v role="$PG_ROLE" -v db="$PG_DATABASE" -d postgres
password=""
echo "role $PG_ROLE and database $PG_DATABASE on $FMC_VM_NAME are in place"
