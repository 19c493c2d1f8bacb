// The popup's "recent downloads": what was sent from this browser and how far each job got.

export const FINAL_STATUSES = new Set(['done', 'failed', 'cancelled']);
export const MAX_JOBS = 10;

export function isFinal(job) {
  return FINAL_STATUSES.has(job.status);
}

/** A new job first; an id already listed is replaced; at most MAX_JOBS kept. */
export function rememberJob(jobs, job) {
  return [job, ...jobs.filter((old) => old.id !== job.id)].slice(0, MAX_JOBS);
}

/** Merge GET /api/v1/downloads/{id} answers (by id) into the list. */
export function applyViews(jobs, views) {
  const byId = new Map(views.map((view) => [view.id, view]));
  return jobs.map((job) => {
    const view = byId.get(job.id);
    if (!view) return job;
    return {
      ...job,
      status: view.status,
      stage: view.stage ?? '',
      percent: view.percent ?? null,
      error: view.error?.message ?? '',
    };
  });
}

/** "downloading 42%", "done", "failed: <the server's sentence>". */
export function describeJob(job) {
  if (job.status === 'failed' && job.error) return `failed: ${job.error}`;
  if (!isFinal(job) && typeof job.percent === 'number') return `${job.stage || job.status} ${Math.round(job.percent)}%`;
  return job.stage && !isFinal(job) ? job.stage : job.status;
}

/** The jobs of a POST /api/v1/downloads {"urls": [...]} answer: one per link the server queued. */
export function jobsFromBatch(answer) {
  return (answer.results ?? [])
    .filter((line) => line.job_id != null)
    .map((line) => ({ id: line.job_id, url: line.url, status: 'queued', stage: '', percent: null, error: '' }));
}

/** "Sent 3 links." or "Sent 2 of 3 links; refused: <link>: <the server's sentence>". */
export function describeBatch(answer) {
  const results = answer.results ?? [];
  const refused = results.filter((line) => line.error);
  const total = `${results.length} link${results.length === 1 ? '' : 's'}`;
  if (!refused.length) return `Sent ${total}.`;
  const reasons = refused.map((line) => `${line.url}: ${line.error}`).join('; ');
  return `Sent ${results.length - refused.length} of ${total}; refused: ${reasons}`;
}
