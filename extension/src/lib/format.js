// Times and counts as the popup words them.

/** "just now", "3 min ago", "2 h ago", "4 days ago". */
export function ago(then, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/** "Last sync 3 min ago: 12 cookies from 2 sites." or the reason it failed. */
export function describeSync(lastSync, now = Date.now()) {
  if (!lastSync) return 'Not synced yet.';
  const when = `Last sync ${ago(lastSync.at, now)}`;
  if (!lastSync.ok) return `${when} failed: ${lastSync.message}`;
  if (lastSync.message) return `${when}: ${lastSync.message}`;
  const sites = lastSync.sites ?? 0;
  return `${when}: ${lastSync.total} cookie${lastSync.total === 1 ? '' : 's'} from ${sites} site${sites === 1 ? '' : 's'}.`;
}
