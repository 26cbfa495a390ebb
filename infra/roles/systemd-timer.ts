/**
 * A systemd timer for the database VM's scheduled jobs (the nightly dump, pgBackRest's backups):
 * `Persistent=true`, so a VM that was off at the time runs the job as soon as it is back, and a
 * few minutes of random delay so jobs of one schedule do not start in the same second.
 */
export function renderCatchUpTimer(description: string, onCalendar: string, missedRunNote: string): string {
  return [
    "[Unit]",
    `Description=${description}`,
    "",
    "[Timer]",
    `OnCalendar=${onCalendar}`,
    `# ${missedRunNote}`,
    "Persistent=true",
    "RandomizedDelaySec=5m",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}
