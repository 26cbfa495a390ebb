# shellcheck shell=sh
# kured's reboot sentinel on Flatcar, run by kured on the node itself: kured wraps it in
# `nsenter -m/proc/1/ns/mnt --` (hostPID, privileged), so `update_engine_client` is the host's and
# talks to the host's update-engine over the system D-Bus socket.
#
# Exit 0: an update is staged on the passive partition (UPDATE_STATUS_UPDATED_NEED_REBOOT), reboot.
# Exit 1: no staged update: kured stays quiet.
# Exit 2: update-engine could not be asked: no reboot, and kured logs the unexpected exit code.
#
# kured splits the command like a shell (shlex) but runs no shell, so the platform passes these
# lines to `/bin/sh -c '...'`, joined with "; ": one simple command per line, no single quotes.
status=$(update_engine_client -status) || exit 2
case $status in *CURRENT_OP=UPDATE_STATUS_UPDATED_NEED_REBOOT*) exit 0 ;; esac
exit 1
